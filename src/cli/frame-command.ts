/**
 * `meshsim frame decode [hex] [--file F|-] [--raw]`: decode exactly one frame and print one JSON
 * line — the decoded frame, or the decode error value (SPEC §4). The frame comes as hex on the
 * command line, or from a file or standard input (`-`) as hex text (whitespace allowed) or, with
 * --raw, as the bytes themselves; input is read with a ceiling (the largest frame there is), so
 * a never-ending input cannot hang it. A frame is judged with the limit its real reader applies:
 * control and traced frames travel on uni streams, read with FRAME_LIMIT_CONTROL; echo frames on
 * bi streams, FRAME_LIMIT_BI. Exit 0 when it decodes, 1 when the bytes are a bad frame, 2 for bad
 * usage (not hex, unreadable or oversized input). Decoding itself lives in src/protocol.
 */
import type { Command } from 'commander';
import { readBounded } from '../io/bounded-read.js';
import { FRAME_LIMIT_CONTROL, decodeAny } from '../protocol/codec.js';
import { FRAME_LIMIT_BI, TAG_ECHO } from '../protocol/framer.js';
import { EXIT_FAIL, EXIT_PASS, fail, quoted } from './errors.js';

/** The largest frame of any kind: tag, a 5-byte length, the bi-stream payload limit. */
export const FRAME_BYTES_MAX = 1 + 5 + FRAME_LIMIT_BI;
/** Hex text of the largest frame, with room for line breaks and spaces. */
const HEX_TEXT_BYTES_MAX = 3 * FRAME_BYTES_MAX + 64;

interface DecodeOptionValues {
  readonly file?: string;
  readonly raw?: boolean;
}

export function registerFrame(program: Command): void {
  const frame = program.command('frame').description('work with wire frames');
  frame
    .command('decode')
    .description('decode one frame (hex argument, or --file F / - for stdin) and print it as one JSON line (exit 0 ok, 1 bad frame, 2 bad usage)')
    .argument('[hex]', 'the frame bytes as hex, e.g. 1103010203 (an optional 0x prefix is allowed)')
    .option('--file <path>', 'read the frame from a file, or - for standard input (hex text unless --raw)')
    .option('--raw', 'the --file input is the frame bytes themselves, not hex')
    .action((hex: string | undefined, options: DecodeOptionValues) => {
      const bytes = frameBytes(hex, options);
      const description = decodeAny(bytes, readerLimit(bytes));
      process.stdout.write(`${JSON.stringify(description)}\n`);
      process.exitCode = description.ok ? EXIT_PASS : EXIT_FAIL;
    });
}

/** The limit of the stream a frame with this first byte (its tag) travels on. */
export function readerLimit(bytes: Uint8Array): number {
  return bytes.length > 0 && bytes[0] === TAG_ECHO ? FRAME_LIMIT_BI : FRAME_LIMIT_CONTROL;
}

function frameBytes(hex: string | undefined, options: DecodeOptionValues): Uint8Array {
  if (options.file === undefined) {
    if (options.raw === true) fail('frame decode: --raw reads --file input; give --file PATH or - for stdin');
    if (hex === undefined) fail('frame decode: give the frame as hex, or --file PATH (- for stdin)');
    return parseHex(hex);
  }
  if (hex !== undefined) fail('frame decode: give the frame either as a hex argument or with --file, not both');
  const name = options.file === '-' ? 'standard input' : options.file;
  const read = readBounded(options.file, options.raw === true ? FRAME_BYTES_MAX : HEX_TEXT_BYTES_MAX);
  if (!read.ok) {
    if (read.reason === 'size') fail(`frame decode: ${name} is larger than the largest frame (${FRAME_BYTES_MAX} bytes${options.raw === true ? '' : ' as hex'})`);
    fail(`frame decode: cannot read ${name} (${read.code})`);
  }
  if (options.raw === true) return new Uint8Array(read.bytes);
  return parseHex(read.bytes.toString('latin1'), name);
}

/** Hex digits (whitespace and a 0x prefix allowed) → bytes; anything else is bad usage. */
export function parseHex(text: string, source?: string): Uint8Array {
  const digits = text.replace(/\s+/g, '').replace(/^0x/i, '');
  const what = source ?? quoted(text);
  if (!/^[0-9a-fA-F]*$/.test(digits)) return fail(`frame decode: ${what} is not hex${source === undefined ? '' : ' (use --raw for binary input)'}`);
  if (digits.length % 2 !== 0) return fail(`frame decode: ${what} has an odd number of hex digits`);
  if (digits.length > 2 * FRAME_BYTES_MAX) return fail(`frame decode: ${what} is longer than the largest frame (${FRAME_BYTES_MAX} bytes)`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}
