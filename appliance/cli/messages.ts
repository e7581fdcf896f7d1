/**
 * Every sentence the CLI prints, in English and Simplified Chinese. The language is
 * the config's `language`, else the environment's LANG.
 */
export type Lang = 'en' | 'zh-CN';

const MESSAGES = {
  usage: {
    en: `usage: edgesip [--data-dir DIR] <command> [options]
commands:
  version                       print the version
  config check                  validate DIR/config.json
  ext list|add|set|remove       manage extensions (edgesip ext --help)
  reg list                      show current registrations
  acl list|add|remove           manage the IP white and black lists
  blocks list|remove            show or lift automatic blocks
  calls                         show the calls in progress
  cdr list|export               show or export call detail records
  help                          this text
DIR defaults to /var/lib/edgesip; the running daemon is reached on DIR/control.sock.
exit codes: 0 ok, 1 refused by the daemon, 2 usage error, 3 daemon not running`,
    'zh-CN': `用法：edgesip [--data-dir DIR] <命令> [选项]
命令：
  version                       显示版本
  config check                  校验 DIR/config.json
  ext list|add|set|remove       管理分机（edgesip ext --help）
  reg list                      查看当前注册
  acl list|add|remove           管理 IP 白名单和黑名单
  blocks list|remove            查看或解除自动封禁
  calls                         查看进行中的通话
  cdr list|export               查看或导出通话记录
  help                          显示本帮助
DIR 默认为 /var/lib/edgesip；通过 DIR/control.sock 连接运行中的守护进程。
退出码：0 成功，1 守护进程拒绝，2 用法错误，3 守护进程未运行`,
  },
  extUsage: {
    en: `usage: edgesip ext <subcommand>
  ext list [--json]
  ext add NUMBER (--password P | --password-stdin) [--name N] [--max-contacts N]
          [--allow CIDR]... [--disabled] [FORWARDING]
  ext set NUMBER [--password P | --password-stdin] [--name N] [--max-contacts N]
          [--allow CIDR]... [--allow-any] [--enable | --disable] [FORWARDING]
  ext remove NUMBER
A password on the command line is visible to other users (ps): prefer --password-stdin.
Passwords need at least 8 characters, must differ from the number, and a password of
digits only needs at least 12. --allow replaces the list of networks the extension may
use; --allow-any clears it (any network).
FORWARDING (TARGET: an extension or a dialled number; "off" or "" turns it off;
options not given keep their current value):
  --forward-always TARGET       forward every call
  --forward-busy TARGET         forward when the extension is busy
  --forward-noanswer TARGET     forward when it rings unanswered for the timeout
  --forward-unavailable TARGET  forward when it is not registered or unreachable
  --noanswer-timeout N          ring time before no-answer forwarding, 5-300 s (default 20)
example: edgesip ext set 101 --forward-always 102 --forward-busy 103 --forward-noanswer 104 --noanswer-timeout 15`,
    'zh-CN': `用法：edgesip ext <子命令>
  ext list [--json]
  ext add 号码 (--password 密码 | --password-stdin) [--name 名称] [--max-contacts N]
          [--allow CIDR]... [--disabled] [呼叫转移选项]
  ext set 号码 [--password 密码 | --password-stdin] [--name 名称] [--max-contacts N]
          [--allow CIDR]... [--allow-any] [--enable | --disable] [呼叫转移选项]
  ext remove 号码
命令行中的密码对其他用户可见（ps），建议使用 --password-stdin。
密码至少 8 个字符，不能与号码相同，纯数字密码至少 12 位。--allow 替换分机可使用的
网络列表；--allow-any 清空该列表（允许任意网络）。
呼叫转移选项（目标：分机号或拨打的号码；"off" 或 "" 表示关闭；未指定的选项保持原值）：
  --forward-always 目标         无条件转移所有来电
  --forward-busy 目标           分机忙时转移
  --forward-noanswer 目标       振铃超时无人接听时转移
  --forward-unavailable 目标    分机未注册或不可达时转移
  --noanswer-timeout N          无应答转移前的振铃时间，5-300 秒（默认 20）
示例：edgesip ext set 101 --forward-always 102 --forward-busy 103 --forward-noanswer 104 --noanswer-timeout 15`,
  },
  regUsage: {
    en: `usage: edgesip reg list [--json]
  show the contacts currently registered, per extension
       edgesip reg ping NUMBER [--json]
  send OPTIONS to each contact of NUMBER over the flow it registered from`,
    'zh-CN': `用法：edgesip reg list [--json]
  按分机显示当前已注册的联系地址
      edgesip reg ping NUMBER [--json]
  经注册时的连接向 NUMBER 的每个联系地址发送 OPTIONS`,
  },
  aclUsage: {
    en: `usage: edgesip acl <subcommand>
  acl list [--json]
  acl add white|black CIDR
  acl remove white|black CIDR
The black list is dropped unanswered; the white list is never blocked (still authenticated).`,
    'zh-CN': `用法：edgesip acl <子命令>
  acl list [--json]
  acl add white|black CIDR
  acl remove white|black CIDR
黑名单中的地址被直接丢弃、不予应答；白名单中的地址永不封禁（仍需认证）。`,
  },
  blocksUsage: {
    en: `usage: edgesip blocks <subcommand>
  blocks list [--json]
  blocks remove KEY      KEY as listed: ADDRESS, or ADDRESS|ACCOUNT`,
    'zh-CN': `用法：edgesip blocks <子命令>
  blocks list [--json]
  blocks remove KEY      KEY 取自列表：地址，或 地址|账号`,
  },
  callsUsage: {
    en: `usage: edgesip calls [--json]
  show the calls in progress: caller, number dialled, who rings or talks now (after
  forwarding), state, duration and the forwarding chain`,
    'zh-CN': `用法：edgesip calls [--json]
  显示进行中的通话：主叫、所拨号码、当前振铃或通话的一方（转移之后）、状态、时长和转移链`,
  },
  cdrUsage: {
    en: `usage: edgesip cdr <subcommand>
  cdr list [--since T] [--until T] [--limit N] [--json]
  cdr export [--since T] [--until T] [--output FILE]
T is a date (2026-11-26, from 00:00 UTC), a date-time with its zone
(2026-11-26T08:30:00Z, 2026-11-26T16:30:00+08:00) or a time ago (30m, 24h, 7d).
Calls are selected by their start: from --since (included) to --until (excluded).
list shows the most recent N calls (default 50, at most 100000); export writes every
matching call as CSV to standard output, or to FILE.`,
    'zh-CN': `用法：edgesip cdr <子命令>
  cdr list [--since T] [--until T] [--limit N] [--json]
  cdr export [--since T] [--until T] [--output 文件]
T 可以是日期（2026-11-26，从 UTC 00:00 起）、带时区的日期时间
（2026-11-26T08:30:00Z、2026-11-26T16:30:00+08:00）或距今的时长（30m、24h、7d）。
按通话开始时间筛选：从 --since（含）到 --until（不含）。
list 显示最近的 N 条通话（默认 50，最多 100000）；export 将所有符合条件的通话以 CSV
格式写到标准输出或写入文件。`,
  },
  configUsage: {
    en: 'usage: edgesip [--data-dir DIR] config check [--json]',
    'zh-CN': '用法：edgesip [--data-dir DIR] config check [--json]',
  },
  configValid: { en: 'config is valid: {file}', 'zh-CN': '配置有效：{file}' },
  configMissing: { en: 'no config file yet: {file} (edgesipd writes the defaults at first start)', 'zh-CN': '尚无配置文件：{file}（edgesipd 首次启动时写入默认配置）' },
  configInvalid: { en: 'config is invalid: {file}', 'zh-CN': '配置无效：{file}' },
  unknownCommand: { en: 'unknown command: {command}', 'zh-CN': '未知命令：{command}' },
  unknownSubcommand: { en: 'unknown subcommand: {group} {command}', 'zh-CN': '未知子命令：{group} {command}' },
  missingSubcommand: { en: 'missing subcommand after "{group}"', 'zh-CN': '"{group}" 后缺少子命令' },
  tryHelp: { en: "see 'edgesip {group} --help'", 'zh-CN': "参见 'edgesip {group} --help'" },
  unknownFlag: { en: 'unknown option: {flag}', 'zh-CN': '未知选项：{flag}' },
  flagNeedsValue: { en: 'option {flag} needs a value (for a value starting with "-", write {flag}=VALUE)', 'zh-CN': '选项 {flag} 需要一个值（以 "-" 开头的值请写成 {flag}=值）' },
  flagTakesNoValue: { en: 'option {flag} takes no value', 'zh-CN': '选项 {flag} 不接受值' },
  badOption: { en: 'invalid option: {detail}', 'zh-CN': '无效选项：{detail}' },
  missingArgument: { en: 'missing argument: {name}', 'zh-CN': '缺少参数：{name}' },
  extraArgument: { en: 'unexpected argument: {arg}', 'zh-CN': '多余的参数：{arg}' },
  missingPassword: { en: 'missing --password or --password-stdin', 'zh-CN': '缺少 --password 或 --password-stdin' },
  conflictingFlags: { en: 'options {a} and {b} cannot be used together', 'zh-CN': '选项 {a} 和 {b} 不能同时使用' },
  notInteger: { en: 'option {flag} needs a whole number, not "{value}"', 'zh-CN': '选项 {flag} 需要一个整数，而不是 "{value}"' },
  nothingToChange: { en: 'nothing to change: give at least one option', 'zh-CN': '没有要修改的内容：请至少指定一个选项' },
  badAclList: { en: 'list must be "white" or "black", not "{list}"', 'zh-CN': '名单必须是 "white" 或 "black"，而不是 "{list}"' },
  noPasswordOnStdin: { en: 'no password on standard input', 'zh-CN': '标准输入中没有密码' },
  notRunning: { en: 'edgesipd is not running (no control socket at {socket})', 'zh-CN': 'edgesipd 未运行（{socket} 处没有控制套接字）' },
  permissionDenied: { en: 'permission denied on {socket}: run edgesip as root', 'zh-CN': '无权访问 {socket}：请以 root 身份运行 edgesip' },
  timeout: { en: 'edgesipd did not answer in time ({socket})', 'zh-CN': 'edgesipd 未及时应答（{socket}）' },
  protocolError: { en: 'unexpected reply from edgesipd: {detail}', 'zh-CN': 'edgesipd 的应答异常：{detail}' },
  refused: { en: 'refused: {message}', 'zh-CN': '请求被拒绝：{message}' },
  refusedField: { en: 'refused: {field}: {message}', 'zh-CN': '请求被拒绝：{field}：{message}' },
  daemonFailed: { en: 'edgesipd failed to do it: {message}', 'zh-CN': 'edgesipd 执行失败：{message}' },
  extNotFound: { en: 'no extension {number}', 'zh-CN': '分机 {number} 不存在' },
  extExists: { en: 'extension {number} already exists', 'zh-CN': '分机 {number} 已存在' },
  aclNotFound: { en: '{cidr} is not on the {list} list', 'zh-CN': '{cidr} 不在{list}名单中' },
  aclExists: { en: '{cidr} is already on the {list} list', 'zh-CN': '{cidr} 已在{list}名单中' },
  blockNotFound: { en: 'no block {key} (it may have expired)', 'zh-CN': '没有封禁 {key}（可能已过期）' },
  extAdded: { en: 'extension {number} added', 'zh-CN': '已添加分机 {number}' },
  extUpdated: { en: 'extension {number} updated', 'zh-CN': '已更新分机 {number}' },
  extRemoved: { en: 'extension {number} removed', 'zh-CN': '已删除分机 {number}' },
  aclAdded: { en: '{cidr} added to the {list} list', 'zh-CN': '已将 {cidr} 加入{list}名单' },
  aclRemoved: { en: '{cidr} removed from the {list} list', 'zh-CN': '已将 {cidr} 移出{list}名单' },
  blockRemoved: { en: 'block {key} lifted', 'zh-CN': '已解除封禁 {key}' },
  noExtensions: { en: 'no extensions', 'zh-CN': '没有分机' },
  noRegistrations: { en: 'no registrations', 'zh-CN': '没有注册' },
  aclEmpty: { en: 'both lists are empty', 'zh-CN': '黑白名单均为空' },
  noBlocks: { en: 'no blocks', 'zh-CN': '没有封禁' },
  noCalls: { en: 'no active calls', 'zh-CN': '没有进行中的通话' },
  noCdrs: { en: 'no call records', 'zh-CN': '没有通话记录' },
  cdrLimited: { en: 'showing the most recent {count} calls; use --limit or --since for more', 'zh-CN': '仅显示最近的 {count} 条通话；使用 --limit 或 --since 查看更多' },
  cdrExported: { en: '{count} call records written to {file}', 'zh-CN': '已将 {count} 条通话记录写入 {file}' },
  cannotWrite: { en: 'cannot write {file}: {detail}', 'zh-CN': '无法写入 {file}：{detail}' },
  badTime: {
    en: 'option {flag} needs a date (2026-11-26), a date-time with its zone (2026-11-26T08:30:00Z) or a time ago (30m, 24h, 7d), not "{value}"',
    'zh-CN': '选项 {flag} 需要日期（2026-11-26）、带时区的日期时间（2026-11-26T08:30:00Z）或距今时长（30m、24h、7d），而不是 "{value}"',
  },
  timeNeedsZone: {
    en: 'option {flag}: "{value}" needs a time zone: end it with Z (UTC) or an offset such as +08:00',
    'zh-CN': '选项 {flag}："{value}" 缺少时区：请以 Z（UTC）或 +08:00 这样的偏移结尾',
  },
  limitRange: { en: 'option --limit needs a number from 1 to {max}, not "{value}"', 'zh-CN': '选项 --limit 需要 1 到 {max} 之间的数，而不是 "{value}"' },
  sinceAfterUntil: { en: '--until must be later than --since', 'zh-CN': '--until 必须晚于 --since' },
  white: { en: 'white', 'zh-CN': '白' },
  black: { en: 'black', 'zh-CN': '黑' },
  yes: { en: 'yes', 'zh-CN': '是' },
  no: { en: 'no', 'zh-CN': '否' },
  anyNetwork: { en: 'any', 'zh-CN': '任意' },
  colNumber: { en: 'NUMBER', 'zh-CN': '号码' },
  colName: { en: 'NAME', 'zh-CN': '名称' },
  colEnabled: { en: 'ENABLED', 'zh-CN': '启用' },
  colMaxContacts: { en: 'MAX CONTACTS', 'zh-CN': '最大联系地址数' },
  colAllowed: { en: 'ALLOWED NETWORKS', 'zh-CN': '允许的网络' },
  colSecret: { en: 'PASSWORD SET', 'zh-CN': '已设密码' },
  colForward: { en: 'FORWARD', 'zh-CN': '呼叫转移' },
  fwdAlways: { en: 'always→{target}', 'zh-CN': '无条件→{target}' },
  fwdBusy: { en: 'busy→{target}', 'zh-CN': '遇忙→{target}' },
  fwdNoAnswer: { en: 'noanswer→{target}/{seconds}s', 'zh-CN': '无应答→{target}/{seconds}秒' },
  fwdUnavailable: { en: 'unavailable→{target}', 'zh-CN': '不可达→{target}' },
  colAor: { en: 'EXTENSION', 'zh-CN': '分机' },
  colContact: { en: 'CONTACT', 'zh-CN': '联系地址' },
  colTransport: { en: 'TRANSPORT', 'zh-CN': '传输' },
  colSource: { en: 'SOURCE', 'zh-CN': '来源' },
  colExpiresIn: { en: 'EXPIRES IN', 'zh-CN': '剩余时间' },
  colUserAgent: { en: 'USER AGENT', 'zh-CN': '用户代理' },
  colAnswer: { en: 'ANSWER', 'zh-CN': '应答' },
  colRtt: { en: 'RTT', 'zh-CN': '往返时间' },
  pingTimeout: { en: 'no answer (timeout)', 'zh-CN': '无应答（超时）' },
  pingTransport: { en: 'unreachable (flow closed)', 'zh-CN': '不可达（连接已关闭）' },
  colList: { en: 'LIST', 'zh-CN': '名单' },
  colNetwork: { en: 'NETWORK', 'zh-CN': '网络' },
  colKey: { en: 'KEY', 'zh-CN': '键' },
  colAddress: { en: 'ADDRESS', 'zh-CN': '地址' },
  colAccount: { en: 'ACCOUNT', 'zh-CN': '账号' },
  colReason: { en: 'REASON', 'zh-CN': '原因' },
  colCount: { en: 'ATTEMPTS', 'zh-CN': '尝试次数' },
  colExpires: { en: 'EXPIRES', 'zh-CN': '到期时间' },
  colId: { en: 'ID', 'zh-CN': '编号' },
  colCaller: { en: 'CALLER', 'zh-CN': '主叫' },
  colCallee: { en: 'DIALLED', 'zh-CN': '被叫' },
  colTarget: { en: 'TARGET', 'zh-CN': '当前目标' },
  colState: { en: 'STATE', 'zh-CN': '状态' },
  colDuration: { en: 'DURATION', 'zh-CN': '时长' },
  colForwarded: { en: 'FORWARDED', 'zh-CN': '转移' },
  colStart: { en: 'START', 'zh-CN': '开始时间' },
  colAnsweredBy: { en: 'ANSWERED BY', 'zh-CN': '接听方' },
  colResult: { en: 'RESULT', 'zh-CN': '结果' },
  colSipCode: { en: 'SIP', 'zh-CN': 'SIP' },
  'state.ringing': { en: 'ringing', 'zh-CN': '振铃中' },
  'state.answered': { en: 'talking', 'zh-CN': '通话中' },
  'disposition.answered': { en: 'answered', 'zh-CN': '已接听' },
  'disposition.busy': { en: 'busy', 'zh-CN': '忙' },
  'disposition.no-answer': { en: 'no answer', 'zh-CN': '无应答' },
  'disposition.cancelled': { en: 'cancelled', 'zh-CN': '已取消' },
  'disposition.failed': { en: 'failed', 'zh-CN': '失败' },
  'forward.unconditional': { en: 'always', 'zh-CN': '无条件' },
  'forward.busy': { en: 'busy', 'zh-CN': '遇忙' },
  'forward.no-answer': { en: 'no answer', 'zh-CN': '无应答' },
  'forward.unavailable': { en: 'unavailable', 'zh-CN': '不可达' },
  'forward.deflection': { en: 'deflected', 'zh-CN': '转接' },
  'reason.wrong-password': { en: 'wrong password', 'zh-CN': '密码错误' },
  'reason.unknown-user': { en: 'unknown user', 'zh-CN': '未知用户' },
  'reason.enumeration': { en: 'user enumeration', 'zh-CN': '用户名探测' },
  'reason.flood': { en: 'flood', 'zh-CN': '请求泛洪' },
  'reason.black-list': { en: 'black list', 'zh-CN': '黑名单' },
} as const;

export type MessageKey = keyof typeof MESSAGES;

export function message(lang: Lang, key: MessageKey, vars: Record<string, string> = {}): string {
  return MESSAGES[key][lang].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
}

/** True when `key` names a message (for keys built at run time, such as block reasons). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(MESSAGES, key);
}

/** The language asked for by the environment (LANGUAGE, LC_ALL, LANG). */
export function langFromEnv(env: NodeJS.ProcessEnv): Lang {
  return /^zh/i.test(env.LANGUAGE || env.LC_ALL || env.LC_MESSAGES || env.LANG || '') ? 'zh-CN' : 'en';
}
