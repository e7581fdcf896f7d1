/**
 * edgesip — the admin command line. In this release it checks configuration files;
 * the commands that talk to the running daemon arrive with its control API.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { message, langFromEnv, type Lang } from '../cli/messages';
import { validateConfig } from '../config/schema';
import { CONFIG_FILE } from '../config/store';
import { VERSION } from '../version';

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

function main(argv: string[]): number {
  const lang = langFromEnv(process.env);
  const [command, ...rest] = argv;
  switch (command) {
    case 'version':
    case '--version':
      process.stdout.write(`edgesip ${VERSION}\n`);
      return EXIT_OK;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(`${message(lang, 'usage')}\n`);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    case 'config':
      return configCommand(rest, lang);
    default:
      process.stderr.write(`${message(lang, 'unknownCommand', { command })}\n${message(lang, 'usage')}\n`);
      return EXIT_USAGE;
  }
}

function configCommand(argv: string[], lang: Lang): number {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string', default: '/var/lib/edgesip' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals[0] !== 'check' || positionals.length !== 1) {
    process.stderr.write(`${message(lang, 'usage')}\n`);
    return EXIT_USAGE;
  }
  const file = join(resolve(values['data-dir']!), CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stdout.write(`${message(lang, 'configMissing', { file })}\n`);
      return EXIT_OK;
    }
    throw err;
  }
  let problems;
  try {
    problems = validateConfig(JSON.parse(text));
  } catch (err) {
    problems = [{ path: '(file)', reason: `is not valid JSON: ${(err as Error).message}` }];
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ file, valid: problems.length === 0, problems })}\n`);
  } else if (problems.length === 0) {
    process.stdout.write(`${message(lang, 'configValid', { file })}\n`);
  } else {
    process.stdout.write(`${message(lang, 'configInvalid', { file })}\n`);
    for (const p of problems) process.stdout.write(`  ${p.path}: ${p.reason}\n`);
  }
  return problems.length === 0 ? EXIT_OK : EXIT_INVALID;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`edgesip: ${(err as Error).message}\n`);
  process.exitCode = EXIT_USAGE;
}
