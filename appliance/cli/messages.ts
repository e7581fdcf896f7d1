/**
 * Every sentence the CLI prints, in English and Simplified Chinese. The language is
 * the config's `language`, else the environment's LANG.
 */
export type Lang = 'en' | 'zh-CN';

const MESSAGES = {
  usage: {
    en: `usage: edgesip <command> [options]
commands:
  version                       print the version
  config check [--data-dir D]   validate D/config.json (default /var/lib/edgesip)
  help                          this text`,
    'zh-CN': `用法：edgesip <命令> [选项]
命令：
  version                       显示版本
  config check [--data-dir D]   校验 D/config.json（默认 /var/lib/edgesip）
  help                          显示本帮助`,
  },
  configValid: { en: 'config is valid: {file}', 'zh-CN': '配置有效：{file}' },
  configMissing: { en: 'no config file yet: {file} (edgesipd writes the defaults at first start)', 'zh-CN': '尚无配置文件：{file}（edgesipd 首次启动时写入默认配置）' },
  configInvalid: { en: 'config is invalid: {file}', 'zh-CN': '配置无效：{file}' },
  unknownCommand: { en: 'unknown command: {command}', 'zh-CN': '未知命令：{command}' },
} as const;

export type MessageKey = keyof typeof MESSAGES;

export function message(lang: Lang, key: MessageKey, vars: Record<string, string> = {}): string {
  return MESSAGES[key][lang].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
}

/** The language asked for by the environment (LANGUAGE, LC_ALL, LANG). */
export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  return /^zh/i.test(env.LANGUAGE ?? env.LC_ALL ?? env.LANG ?? '') ? 'zh-CN' : 'en';
}
