/** edgesip cert show|install — the TLS certificate of SIP-TLS and the web admin. */
import { readFileSync, statSync } from 'node:fs';
import type { TlsCertificateView } from '../../control/backend';
import { isMessageKey, type MessageKey } from '../messages';
import {
  callApi,
  displayWidth,
  EXIT_OK,
  expectPositionals,
  flag,
  helpRequested,
  parseCommand,
  printJson,
  runGroup,
  stringOption,
  UsageError,
  type CliContext,
} from './common';

const GROUP = 'cert';
const USAGE = 'certUsage';

/** Larger files are no PEM certificate or key (the control API takes 64 KiB bodies, both files together). */
export const PEM_FILE_MAX_KIB = 30;

const FIELD_NAMES: Record<string, string> = { cert: '--cert', key: '--key', '(body)': '--cert/--key' };

export async function certCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, USAGE, { show, install });
}

async function show(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const view = (await callApi(ctx, 'GET', '/v1/tls')) as TlsCertificateView;
  if (flag(parsed.values, 'json')) printJson(ctx, view);
  else printCertificate(ctx, view);
  return EXIT_OK;
}

async function install(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { cert: { type: 'string' }, key: { type: 'string' } });
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const certFile = stringOption(parsed.values, 'cert');
  const keyFile = stringOption(parsed.values, 'key');
  if (certFile === undefined || certFile === '') throw new UsageError(ctx.t('missingOption', { flag: '--cert' }), GROUP);
  if (keyFile === undefined || keyFile === '') throw new UsageError(ctx.t('missingOption', { flag: '--key' }), GROUP);
  const cert = readPemFile(ctx, '--cert', certFile);
  const key = readPemFile(ctx, '--key', keyFile);
  const view = (await callApi(ctx, 'PUT', '/v1/tls', { cert, key }, { fieldNames: FIELD_NAMES })) as TlsCertificateView;
  ctx.out(ctx.t('certInstalled'));
  printCertificate(ctx, view);
  return EXIT_OK;
}

/** The text of a PEM file given to `flagName`; a file that cannot be read is a usage error naming it. */
function readPemFile(ctx: CliContext, flagName: string, file: string): string {
  const fail = (detail: string): never => {
    throw new UsageError(ctx.t('cannotRead', { flag: flagName, file, detail }), GROUP);
  };
  try {
    const st = statSync(file);
    if (st.isDirectory()) fail(ctx.t('fileError.EISDIR'));
    if (!st.isFile()) fail(ctx.t('fileError.notFile'));
    if (st.size > PEM_FILE_MAX_KIB * 1024) fail(ctx.t('fileError.tooLarge', { max: String(PEM_FILE_MAX_KIB) }));
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    const key = `fileError.${e.code ?? ''}`;
    return fail(isMessageKey(key) ? ctx.t(key) : (e.code ?? e.message));
  }
}

/** The certificate as aligned "label  value" lines, and a warning when it expires soon or has. */
export function printCertificate(ctx: CliContext, c: TlsCertificateView): void {
  const yesNo = (b: boolean): string => ctx.t(b ? 'yes' : 'no');
  const rows: [MessageKey, string][] = [
    ['certSubject', oneLine(c.subject)],
    ['certIssuer', oneLine(c.issuer)],
    ['certSan', oneLine(c.subjectAltName)],
    ['certNotBefore', oneLine(c.notBefore)],
    ['certNotAfter', oneLine(c.notAfter)],
    ['certDaysLeft', String(c.daysLeft)],
    ['certSelfSigned', yesNo(c.selfSigned)],
    ['certFingerprint', oneLine(c.fingerprint256)],
    ['certFile', oneLine(c.certFile)],
  ];
  printPairs(
    ctx,
    rows.map(([key, value]) => [ctx.t(key), value]),
  );
  if (c.expiryWarning) {
    ctx.out(c.daysLeft < 0 ? ctx.t('certExpiredWarning', { days: String(-c.daysLeft) }) : ctx.t('certExpiringWarning', { days: String(c.daysLeft) }));
  }
}

/**
 * An X.509 name as node prints it (one attribute per line) on one line, attributes
 * separated by ", "; control characters (from the certificate) shown as '?'; '-' when empty.
 */
export function oneLine(text: string | undefined): string {
  if (text === undefined) return '-';
  const s = text
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .join(', ')
    .replace(/[\x00-\x1f\x7f]/g, '?');
  return s === '' ? '-' : s;
}

/** "label  value" lines, the values aligned (labels may be Chinese: display width). */
export function printPairs(ctx: CliContext, pairs: [string, string][]): void {
  const width = Math.max(...pairs.map(([label]) => displayWidth(label)));
  for (const [label, value] of pairs) ctx.out(`${label}${' '.repeat(width - displayWidth(label) + 2)}${value}`);
}
