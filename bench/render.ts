import { readFileSync } from 'node:fs';
import { renderTables, type BenchResults } from './report';

/** Prints the tables of an existing bench-results.json (for the README) without running the bench again. */
const file = process.argv[2] ?? 'bench-results.json';
process.stdout.write(`${renderTables(JSON.parse(readFileSync(file, 'utf8')) as BenchResults)}\n`);
