/** edgesip settings show|set — ports and TLS of SIP and of the web admin, the SIP digest algorithms, the web idle timeout. */
import { DIGEST_ALGORITHMS, type DigestAlgorithmName, type TlsMinVersion } from '../../config/schema';
import type { ServiceSettingsInput, ServiceSettingsView } from '../../control/backend';
import { printPairs } from './cert';
import {
  callApi,
  EXIT_OK,
  expectPositionals,
  flag,
  helpRequested,
  integerOption,
  parseCommand,
  printJson,
  runGroup,
  stringOption,
  UsageError,
  type CliContext,
  type Parsed,
} from './common';

const GROUP = 'settings';
const USAGE = 'settingsUsage';

/** API field → the option that sets it, for refusals. */
const FIELD_NAMES: Record<string, string> = {
  'sip.port': '--sip-port',
  'sip.tlsPort': '--sip-tls-port',
  'sip.tlsMinVersion': '--sip-tls-min',
  'sip.digestAlgorithms': '--digest-algorithms',
  'web.port': '--web-port',
  'web.httpRedirectPort': '--web-redirect-port',
  'web.tlsMinVersion': '--web-tls-min',
  'web.idleTimeoutMinutes': '--web-idle-timeout',
};

const SET_OPTIONS = {
  json: { type: 'boolean' },
  'sip-port': { type: 'string' },
  'sip-tls-port': { type: 'string' },
  'sip-tls-min': { type: 'string' },
  'digest-algorithms': { type: 'string' },
  'web-port': { type: 'string' },
  'web-redirect-port': { type: 'string' },
  'web-tls-min': { type: 'string' },
  'web-idle-timeout': { type: 'string' },
} as const;

export async function settingsCommand(args: string[], ctx: CliContext): Promise<number> {
  return runGroup(args, ctx, GROUP, USAGE, { show, set });
}

async function show(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const view = (await callApi(ctx, 'GET', '/v1/settings')) as ServiceSettingsView;
  if (flag(parsed.values, 'json')) printJson(ctx, view);
  else printSettings(ctx, view);
  return EXIT_OK;
}

async function set(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, SET_OPTIONS);
  if (helpRequested(ctx, parsed, USAGE)) return EXIT_OK;
  expectPositionals(parsed.positionals, [], GROUP, ctx);
  const { values } = parsed;
  const sip: NonNullable<ServiceSettingsInput['sip']> = {};
  const web: NonNullable<ServiceSettingsInput['web']> = {};
  const port = integerSetter(ctx, values);
  port('sip-port', (v) => (sip.port = v));
  port('sip-tls-port', (v) => (sip.tlsPort = v));
  port('web-port', (v) => (web.port = v));
  port('web-redirect-port', (v) => (web.httpRedirectPort = v));
  port('web-idle-timeout', (v) => (web.idleTimeoutMinutes = v));
  const sipTls = tlsVersionOption(ctx, values, 'sip-tls-min');
  if (sipTls !== undefined) sip.tlsMinVersion = sipTls;
  const algorithms = digestAlgorithmsOption(ctx, values);
  if (algorithms !== undefined) sip.digestAlgorithms = algorithms;
  const webTls = tlsVersionOption(ctx, values, 'web-tls-min');
  if (webTls !== undefined) web.tlsMinVersion = webTls;
  const input: ServiceSettingsInput = {};
  if (Object.keys(sip).length > 0) input.sip = sip;
  if (Object.keys(web).length > 0) input.web = web;
  if (input.sip === undefined && input.web === undefined) throw new UsageError(ctx.t('nothingToChange'), GROUP);
  const view = (await callApi(ctx, 'PATCH', '/v1/settings', input, { fieldNames: FIELD_NAMES })) as ServiceSettingsView;
  if (flag(values, 'json')) {
    printJson(ctx, view);
    return EXIT_OK;
  }
  ctx.out(ctx.t('settingsSaved'));
  printSettings(ctx, view);
  return EXIT_OK;
}

/** Sets the field of an integer option when it is given (ranges are the daemon's to check). */
function integerSetter(ctx: CliContext, values: Parsed['values']): (name: string, apply: (v: number) => void) => void {
  return (name, apply) => {
    const v = integerOption(ctx, GROUP, values, name);
    if (v !== undefined) apply(v);
  };
}

const TLS_VERSIONS: Readonly<Record<string, TlsMinVersion>> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

/** `1.2` or `1.3` (also written `TLSv1.2`, `tls1.3`…) as the config's TLS version. */
function tlsVersionOption(ctx: CliContext, values: Parsed['values'], name: string): TlsMinVersion | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const number = v.replace(/^tlsv?/i, '');
  const version = Object.prototype.hasOwnProperty.call(TLS_VERSIONS, number) ? TLS_VERSIONS[number] : undefined;
  if (version === undefined) {
    throw new UsageError(ctx.t('badChoice', { flag: `--${name}`, choices: '1.2|1.3', value: v }), GROUP);
  }
  return version;
}

/**
 * `--digest-algorithms MD5,SHA-256`: the names, most preferred first (any case;
 * `sha256` too). A name that is no algorithm is a usage error; a repeated one is the
 * daemon's to refuse.
 */
function digestAlgorithmsOption(ctx: CliContext, values: Parsed['values']): DigestAlgorithmName[] | undefined {
  const v = stringOption(values, 'digest-algorithms');
  if (v === undefined) return undefined;
  return v.split(',').map((item) => {
    const name = DIGEST_ALGORITHMS.find((a) => a.replace('-', '') === item.trim().toUpperCase().replace('-', ''));
    if (name === undefined) throw new UsageError(ctx.t('badDigestAlgorithms', { value: v }), GROUP);
    return name;
  });
}

/** The settings as aligned lines; the restart advice when saved ports are not in use yet. */
export function printSettings(ctx: CliContext, s: ServiceSettingsView): void {
  const { sip, web } = s;
  printPairs(ctx, [
    [ctx.t('settingSipPort'), String(sip.port)],
    [ctx.t('settingSipTlsPort'), String(sip.tlsPort)],
    [ctx.t('settingSipTlsMin'), sip.tlsMinVersion],
    [ctx.t('settingDigestAlgorithms'), sip.digestAlgorithms.join(', ')],
    [ctx.t('settingWebPort'), web.port === 0 ? ctx.t('settingOff') : String(web.port)],
    [ctx.t('settingWebRedirectPort'), web.httpRedirectPort === 0 ? ctx.t('noneValue') : String(web.httpRedirectPort)],
    [ctx.t('settingWebTlsMin'), web.tlsMinVersion],
    [ctx.t('settingWebIdle'), ctx.t('settingMinutes', { minutes: String(web.idleTimeoutMinutes) })],
  ]);
  if (s.restartRequired) ctx.out(ctx.t('settingsRestart'));
}
