/**
 * `meshsim frame decode <hex>`: decode exactly one frame and print one JSON line — the decoded
 * frame, or the decode error value (SPEC §4). Exit 0 when it decodes, 1 when the bytes are a
 * bad frame, 2 when the argument is not hex at all. Decoding itself lives in src/protocol.
 */
import type { Command } from 'commander';
import { decodeAny } from '../protocol/codec.js';
import { EXIT_FAIL, EXIT_PASS, fail, quoted } from './errors.js';

export function registerFrame(program: Command): void {
  const frame = program.command('frame').description('work with wire frames');
  frame
    .command('decode')
    .description('decode one frame given as hex and print it as one JSON line (exit 0 ok, 1 bad frame, 2 not hex)')
    .argument('<hex>', 'the frame bytes as hex, e.g. 1103010203 (an optional 0x prefix is allowed)')
    .action((hex: string) => {
      const description = decodeAny(parseHex(hex));
      process.stdout.write(`${JSON.stringify(description)}\n`);
      process.exitCode = description.ok ? EXIT_PASS : EXIT_FAIL;
    });
}

export function parseHex(text: string): Uint8Array {
  const digits = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) return fail(`frame decode: ${quoted(text)} is not hex`);
  if (digits.length % 2 !== 0) return fail(`frame decode: ${quoted(text)} has an odd number of hex digits`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}
