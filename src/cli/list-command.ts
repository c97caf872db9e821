/**
 * `meshsim list`: the registered scenario names with their main-phase length and description,
 * one per line, in registry order (names are part of the product, SPEC §6).
 */
import type { Command } from 'commander';
import { allScenarios } from '../catalog/registry.js';
import { table } from './format.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the scenarios `meshsim run --scenario` accepts')
    .action(() => {
      process.stdout.write(`${formatList()}\n`);
    });
}

export function formatList(): string {
  const rows = allScenarios().map((s) => [s.name, `${s.durationMs / 1000} s`, s.description]);
  return table(rows, ['l', 'r', 'l']);
}
