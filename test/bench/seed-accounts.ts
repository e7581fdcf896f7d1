/**
 * Bench fixture: writes a data dir with N extensions (1000, 1001, …) whose passwords
 * are "bench-<number>-pw", MD5 offered first (SIPp 3.6 answers only MD5), realm
 * "bench", and a SIPp injection file. Usage: node seed-accounts.js DIR N CSV
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, defaultForward } from '../../appliance/config/schema';
import { computeHA1 } from '../../appliance/sip/auth/digest';

const [dir, countText, csv] = process.argv.slice(2);
const count = Number(countText);
const config = defaultConfig();
config.sip.realm = 'bench';
config.sip.digestAlgorithms = ['MD5', 'SHA-256'];
// All bench traffic comes from 127.0.0.1 at rates the guard rightly calls a flood:
// white-list it (never blocked, still authenticated).
config.acl.white = ['127.0.0.1'];
const secrets: Record<string, { MD5: string; 'SHA-256': string }> = {};
const rows: string[] = [];
for (let i = 0; i < count; i++) {
  const number = String(1000 + i);
  const password = `bench-${number}-pw`;
  config.extensions.push({ number, displayName: '', maxContacts: 3, enabled: true, allowedNetworks: [], forward: defaultForward(), permission: 'national' });
  secrets[number] = { MD5: computeHA1('MD5', number, 'bench', password), 'SHA-256': computeHA1('SHA-256', number, 'bench', password) };
  rows.push(`${number};[authentication username=${number} password=${password}]`);
}
writeFileSync(join(dir!, 'config.json'), JSON.stringify(config), { mode: 0o600 });
writeFileSync(join(dir!, 'secrets.json'), JSON.stringify({ version: 1, realm: 'bench', secrets }), { mode: 0o600 });
writeFileSync(csv!, `SEQUENTIAL\n${rows.join('\n')}\n`);
