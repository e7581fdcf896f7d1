/**
 * Every sentence the CLI prints, in English and Simplified Chinese. The language is
 * the config's `language`, else the environment's LANG.
 */
export type Lang = 'en' | 'zh-CN';

const MESSAGES = {
  usage: {
    en: `usage: edgesip [--data-dir DIR] <command> [options]
commands:
  version                              print the version
  config check                         validate DIR/config.json
  ext list|add|set|remove              manage extensions (edgesip ext --help)
  trunk list|add|set|remove|status     manage SIP trunks to providers
  route list|add|remove|move|test      manage the dial plan (outgoing calls)
  did list|add|remove|default          route incoming trunk calls to extensions
  language [en|zh-CN]                  show or set the language setting
  admin list|add|passwd|remove|unlock  manage the web admin accounts
  cert show|install                    show or install the TLS certificate
  settings show|set                    ports, TLS versions, digest algorithms, web idle timeout
  reg list                             show current registrations
  acl list|add|remove                  manage the IP white and black lists
  blocks list|remove                   show or lift automatic blocks
  calls                                show the calls in progress
  cdr list|export                      show or export call detail records
  status [--json]                      SIP, system and TLS health (exit 1: needs attention)
  fxs status [--fxs-dir DIR] [--json]  the FXS gateway agent: line board and lines
  completion                           print the bash completion script
  diag dns [NAME...]                   check DNS: the system resolver against public ones
  help                                 this text
DIR defaults to /var/lib/edgesip; the running daemon is reached on DIR/control.sock.
exit codes: 0 ok, 1 refused by the daemon, 2 usage error, 3 daemon not running`,
    'zh-CN': `用法：edgesip [--data-dir DIR] <命令> [选项]
命令：
  version                              显示版本
  config check                         校验 DIR/config.json
  ext list|add|set|remove              管理分机（edgesip ext --help）
  trunk list|add|set|remove|status     管理连接运营商的 SIP 中继
  route list|add|remove|move|test      管理拨号规则（呼出）
  did list|add|remove|default          将中继呼入的号码路由到分机
  language [en|zh-CN]                  查看或设置语言
  admin list|add|passwd|remove|unlock  管理 Web 管理账号
  cert show|install                    查看或安装 TLS 证书
  settings show|set                    端口、TLS 版本、摘要认证算法和 Web 空闲超时
  reg list                             查看当前注册
  acl list|add|remove                  管理 IP 白名单和黑名单
  blocks list|remove                   查看或解除自动封禁
  calls                                查看进行中的通话
  cdr list|export                      查看或导出通话记录
  status [--json]                      SIP、系统和 TLS 运行状况（退出码 1：需要处理）
  fxs status [--fxs-dir DIR] [--json]  FXS 网关代理：线路板和各线路的状态
  completion                           输出 bash 自动补全脚本
  diag dns [域名...]                   检查 DNS：系统解析器与公共解析器的结果是否一致
  help                                 显示本帮助
DIR 默认为 /var/lib/edgesip；通过 DIR/control.sock 连接运行中的守护进程。
退出码：0 成功，1 守护进程拒绝，2 用法错误，3 守护进程未运行`,
  },
  extUsage: {
    en: `usage: edgesip ext <subcommand>
  ext list [--json]
  ext add NUMBER (--password P | --password-stdin) [--name N] [--max-contacts N]
          [--allow CIDR]... [--disabled] [--permission CLASS] [FORWARDING]
  ext set NUMBER [--password P | --password-stdin] [--name N] [--max-contacts N]
          [--allow CIDR]... [--allow-any] [--enable | --disable] [--permission CLASS]
          [FORWARDING]
  ext remove NUMBER
A password on the command line is visible to other users (ps): prefer --password-stdin.
Passwords need at least 8 characters, must differ from the number, and a password of
digits only needs at least 12. --allow replaces the list of networks the extension may
use; --allow-any clears it (any network).
--permission internal|local|national|international: the dial rules the extension may
use (each class allows the ones before it; emergency rules are always allowed; new
extensions get national).
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
          [--allow CIDR]... [--disabled] [--permission 权限] [呼叫转移选项]
  ext set 号码 [--password 密码 | --password-stdin] [--name 名称] [--max-contacts N]
          [--allow CIDR]... [--allow-any] [--enable | --disable] [--permission 权限]
          [呼叫转移选项]
  ext remove 号码
命令行中的密码对其他用户可见（ps），建议使用 --password-stdin。
密码至少 8 个字符，不能与号码相同，纯数字密码至少 12 位。--allow 替换分机可使用的
网络列表；--allow-any 清空该列表（允许任意网络）。
--permission internal|local|national|international：分机可使用的拨号规则类别（内部、
本地、国内长途、国际长途；每一级包含之前各级；紧急呼叫始终允许；新分机默认为 national）。
呼叫转移选项（目标：分机号或拨打的号码；"off" 或 "" 表示关闭；未指定的选项保持原值）：
  --forward-always 目标         无条件转移所有来电
  --forward-busy 目标           分机忙时转移
  --forward-noanswer 目标       振铃超时无人接听时转移
  --forward-unavailable 目标    分机未注册或不可达时转移
  --noanswer-timeout N          无应答转移前的振铃时间，5-300 秒（默认 20）
示例：edgesip ext set 101 --forward-always 102 --forward-busy 103 --forward-noanswer 104 --noanswer-timeout 15`,
  },
  trunkUsage: {
    en: `usage: edgesip trunk <subcommand>
  trunk list [--json]
  trunk add NAME --type register|ip --domain HOST[:PORT] [OPTIONS]
  trunk set NAME [OPTIONS]
  trunk remove NAME
  trunk status [--json]
OPTIONS (on set, only the options given change):
  --type register|ip          register: the PBX registers to the provider as --username;
                              ip: the provider sends calls from --peer networks, no REGISTER
  --domain HOST[:PORT]        provider domain (found by RFC 3263: NAPTR, SRV, A/AAAA) or
                              IP address; IPv6 in brackets: [2001:db8::1]:5060
  --proxy HOST[:PORT]         send everything there instead of resolving the domain ('' = none)
  --transport udp|tcp|tls     (default udp)
  --username USER             account (AOR user), required for register trunks
  --auth-username USER        digest user name if not the account ('' = the account)
  --realm REALM               answer only challenges of this realm ('' = any)
  --password P | --password-stdin   kept in secrets.json, never shown; on set '' removes it
  --expires N                 registration expiry asked for, 60-86400 s (default 3600)
  --peer CIDR                 network calls may come from (repeatable; replaces the list);
                              --no-peers (set) clears it
  --uri-params PARAMS         URI parameters added to Request-URIs, e.g. user=phone or
                              user=phone;foo=bar ('' = none). Not given on add: the language
                              default (zh-CN: user=phone, en: none)
  --from-user USER            caller number sent in From ('' = the extension number)
  --from-display NAME         caller name sent in From ('' = the extension's name)
  --pai NUMBER                P-Asserted-Identity sip:NUMBER@domain ('' = none)
  --from-template URI         URI templates with {number} {ext} {domain}, e.g.
  --to-template URI             sip:{number}@{domain}; '' = the default
  --pai-template URI
  --enable | --disable
status exits 1 when an enabled trunk failed (wrong credentials, unreachable, failed).
example: printf '%s\\n' 'secret' | edgesip trunk add itsp --type register --domain sip.example.net --username 0101234567 --password-stdin`,
    'zh-CN': `用法：edgesip trunk <子命令>
  trunk list [--json]
  trunk add 名称 --type register|ip --domain 主机[:端口] [选项]
  trunk set 名称 [选项]
  trunk remove 名称
  trunk status [--json]
选项（set 时只修改指定的选项）：
  --type register|ip          register：本机以 --username 向运营商注册；
                              ip：运营商从 --peer 网络发来呼叫，不注册
  --domain 主机[:端口]        运营商域名（按 RFC 3263 解析：NAPTR、SRV、A/AAAA）或 IP
                              地址；IPv6 需加方括号：[2001:db8::1]:5060
  --proxy 主机[:端口]         所有请求发往该地址，不再解析域名（'' 表示不用）
  --transport udp|tcp|tls     （默认 udp）
  --username 用户             账号（AOR 用户部分），register 类型必填
  --auth-username 用户        认证用户名（与账号不同时填写；'' 表示使用账号）
  --realm 域                  只应答该域的认证质询（'' 表示任意）
  --password 密码 | --password-stdin   保存在 secrets.json 中，不会显示；set 时 '' 表示删除
  --expires N                 请求的注册有效期，60-86400 秒（默认 3600）
  --peer CIDR                 允许发来呼叫的网络（可重复；替换原列表）；
                              --no-peers（仅 set）清空
  --uri-params 参数           附加到 Request-URI 的 URI 参数，如 user=phone 或
                              user=phone;foo=bar（'' 表示无）。add 时未指定则取语言默认值
                              （zh-CN：user=phone，en：无）
  --from-user 用户            From 中的主叫号码（'' 表示分机号）
  --from-display 名称         From 中的主叫名称（'' 表示分机名称）
  --pai 号码                  P-Asserted-Identity 为 sip:号码@域名（'' 表示不发送）
  --from-template URI         URI 模板，可用 {number} {ext} {domain}，如
  --to-template URI             sip:{number}@{domain}；'' 表示默认
  --pai-template URI
  --enable | --disable
有已启用的中继失败（认证失败、不可达、失败）时，status 的退出码为 1。
示例：printf '%s\\n' 'secret' | edgesip trunk add itsp --type register --domain sip.example.net --username 0101234567 --password-stdin`,
  },
  routeUsage: {
    en: `usage: edgesip route <subcommand>
  route list [--json]
  route add NAME --pattern P --trunk T [--trunk T]... --class CLASS [--strip N]
            [--prefix DIGITS] [--position N]
  route remove NAME
  route move NAME POSITION
  route test NUMBER [--json]
Rules are tried in order (position 1 first); the first whose pattern matches the whole
dialled number routes the call over its trunks, in the order given (failover).
Pattern: digits * # (+ only first), X any digit, N 2-9, Z 1-9, [1-5] or [135] one digit
of the set, a final . one or more further digits. Example: 9X. is 9 followed by two or more digits.
--strip N removes N leading characters, then --prefix is added: 913800138000 with
--strip 1 --prefix +86 is sent as +8613800138000.
CLASS: internal, local, national, international (an extension may use the classes up
to its --permission) or emergency (every extension).
route test shows which rule a number takes and what is sent (no call is made).
example: edgesip route add mobile --pattern 91[3-9]XXXXXXXXX --strip 1 --trunk itsp --trunk backup --class national`,
    'zh-CN': `用法：edgesip route <子命令>
  route list [--json]
  route add 名称 --pattern 模式 --trunk 中继 [--trunk 中继]... --class 类别 [--strip N]
            [--prefix 数字] [--position N]
  route remove 名称
  route move 名称 位置
  route test 号码 [--json]
规则按顺序尝试（位置 1 最先）；第一个与整个拨打号码匹配的规则，按给出的中继顺序
（失败时换下一个）送出呼叫。
模式：数字 * #（+ 只能在最前），X 任意数字，N 2-9，Z 1-9，[1-5] 或 [135] 集合中的一位
数字，结尾的 . 表示一位或多位数字。例如 9X. 表示 9 后接至少两位数字。
--strip N 去掉开头的 N 个字符，再加上 --prefix：913800138000 配合 --strip 1 --prefix +86
送出 +8613800138000。
类别：internal（内部）、local（本地）、national（国内长途）、international（国际长途），
分机可使用不超过其 --permission 的类别；emergency（紧急呼叫）所有分机均可使用。
route test 显示号码会匹配哪条规则以及送出的号码（不会发起呼叫）。
示例：edgesip route add mobile --pattern 91[3-9]XXXXXXXXX --strip 1 --trunk itsp --trunk backup --class national`,
  },
  didUsage: {
    en: `usage: edgesip did <subcommand>
  did list [--json]
  did add DID --extension EXT
  did remove DID
  did default EXT|none
A call from a trunk to DID (the called number: digits, * #, optional leading +) rings
extension EXT; calls to other numbers ring the default destination, or are refused
when it is none.`,
    'zh-CN': `用法：edgesip did <子命令>
  did list [--json]
  did add 号码 --extension 分机
  did remove 号码
  did default 分机|none
中继呼入 DID 号码（被叫号码：数字、* #，可带前导 +）时振铃对应分机；其他号码振铃默认
目的分机，默认为 none 时拒绝接入。`,
  },
  languageUsage: {
    en: `usage: edgesip language [--json]        show the language setting
       edgesip language en|zh-CN          set it
The language setting is also the default of the Request-URI parameters of new trunks
(zh-CN: user=phone, en: none); existing trunks keep theirs. The CLI's own messages follow
LANG.`,
    'zh-CN': `用法：edgesip language [--json]        查看语言设置
      edgesip language en|zh-CN          设置语言
语言设置同时决定新建中继的 Request-URI 参数默认值（zh-CN：user=phone，en：无）；已有中继
保持不变。命令行自身的提示语言取决于 LANG。`,
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
  diagUsage: {
    en: `usage: edgesip diag dns [NAME...] [--json]
  asks the system's DNS resolver and the public ones (config diagnostics.publicResolvers)
  for A, AAAA, SIP SRV (_sip._udp, _sip._tcp, _sips._tcp) and NAPTR records of each NAME
  and compares the answers. Without NAME: every enabled trunk's domain and the SIP realm.
  Answers that differ usually mean the ISP's DNS redirects the name: phones that use it
  may fail to register. Prints dig and nslookup lines to repeat the questions by hand.
  exit codes: 0 no problem found, 1 a resolver disagreed, timed out or failed
example: edgesip diag dns sip.example.net`,
    'zh-CN': `用法：edgesip diag dns [域名...] [--json]
  向系统 DNS 解析器和公共解析器（配置项 diagnostics.publicResolvers）查询每个域名的 A、AAAA、
  SIP SRV（_sip._udp、_sip._tcp、_sips._tcp）和 NAPTR 记录并比较结果。不指定域名时检查
  所有已启用中继的域名和 SIP 域（realm）。结果不一致通常说明运营商的 DNS 改写了该域名，
  使用该域名的话机可能无法注册。同时给出可手动复查的 dig 和 nslookup 命令。
  退出码：0 未发现问题，1 解析器结果不一致、超时或出错
示例：edgesip diag dns sip.example.net`,
  },
  notDnsName: { en: 'not a DNS name: {name}', 'zh-CN': '不是有效的域名：{name}' },
  tooManyNames: { en: 'at most {max} names at a time', 'zh-CN': '一次最多检查 {max} 个域名' },
  diagNoNames: {
    en: 'nothing to check: give a NAME, or add a trunk (its domain is checked)',
    'zh-CN': '没有可检查的域名：请指定域名，或添加中继（将检查其域名）',
  },
  adminUsage: {
    en: `usage: edgesip admin <subcommand>
  admin list [--json]
  admin add USER [--password-stdin | --generate]
  admin passwd [USER] [--password-stdin | --generate]     USER defaults to admin
  admin remove USER
  admin unlock USER
Accounts of the web admin (HTTPS). USER: 1-32 lower-case letters, digits, dots, dashes
or underscores, starting with a letter or underscore.
The password is asked twice on a terminal (not shown); --password-stdin reads one line
from standard input; --generate makes a strong random one and prints it once.
Passwords need at least 10 characters and must differ from the user name.
passwd also lifts a login lockout; unlock lifts it without changing the password.
The last account cannot be removed.
example: edgesip admin passwd --generate`,
    'zh-CN': `用法：edgesip admin <子命令>
  admin list [--json]
  admin add 用户 [--password-stdin | --generate]
  admin passwd [用户] [--password-stdin | --generate]     用户默认为 admin
  admin remove 用户
  admin unlock 用户
Web 管理界面（HTTPS）的账号。用户名：1-32 个小写字母、数字、点、短横线或下划线，以字母
或下划线开头。
在终端上会询问两次密码（不回显）；--password-stdin 从标准输入读取一行；--generate
生成一个高强度随机密码并只显示一次。
密码至少 10 个字符，且不能与用户名相同。
passwd 同时解除登录锁定；unlock 只解除锁定，不修改密码。最后一个账号不能删除。
示例：edgesip admin passwd --generate`,
  },
  certUsage: {
    en: `usage: edgesip cert <subcommand>
  cert show [--json]
  cert install --cert FILE --key FILE
The certificate SIP-TLS and the web admin present. show: subject, issuer, names (SAN),
validity, days left, self-signed or not, SHA-256 fingerprint, file.
install: FILE are PEM files read by edgesip (the certificate, its chain may follow it;
the private key, not encrypted). edgesipd checks that they fit together and have not
expired, stores them and serves them at once; no restart is needed.
example: edgesip cert install --cert fullchain.pem --key privkey.pem`,
    'zh-CN': `用法：edgesip cert <子命令>
  cert show [--json]
  cert install --cert 文件 --key 文件
SIP-TLS 和 Web 管理界面使用的证书。show：主题、颁发者、名称（SAN）、有效期、剩余天数、
是否自签名、SHA-256 指纹、文件。
install：文件为 PEM 格式，由 edgesip 读取（证书，其后可跟证书链；未加密的私钥）。
edgesipd 检查二者是否匹配、是否过期，保存后立即启用，无需重启。
示例：edgesip cert install --cert fullchain.pem --key privkey.pem`,
  },
  settingsUsage: {
    en: `usage: edgesip settings <subcommand>
  settings show [--json]
  settings set [--json] [OPTIONS]        at least one option
OPTIONS:
  --sip-port N                SIP port, UDP and TCP (default 5060)
  --sip-tls-port N            SIP-TLS port (default 5061)
  --sip-tls-min 1.2|1.3       lowest TLS version SIP-TLS accepts
  --digest-algorithms LIST    digest challenges offered to phones, most preferred first:
                              SHA-256,MD5 (default), MD5,SHA-256 (for phones that answer
                              only the first challenge and know only MD5), SHA-256, MD5
  --web-port N                HTTPS port of the web admin (default 8443; 0 = web admin off)
  --web-redirect-port N       plain-HTTP port that redirects to HTTPS (0 = none)
  --web-tls-min 1.2|1.3       lowest TLS version the web admin accepts
  --web-idle-timeout MINUTES  web sessions unused this long end, 1-1440
TLS versions, digest algorithms and the idle timeout apply at once; ports when
edgesipd restarts (systemctl restart edgesipd).
example: edgesip settings set --web-port 443 --web-redirect-port 80`,
    'zh-CN': `用法：edgesip settings <子命令>
  settings show [--json]
  settings set [--json] [选项]           至少一个选项
选项：
  --sip-port N                SIP 端口，UDP 和 TCP（默认 5060）
  --sip-tls-port N            SIP-TLS 端口（默认 5061）
  --sip-tls-min 1.2|1.3       SIP-TLS 接受的最低 TLS 版本
  --digest-algorithms 列表    向话机提供的摘要认证算法，首选的在前：SHA-256,MD5（默认）、
                              MD5,SHA-256（适用于只应答第一个质询且只支持 MD5 的话机）、
                              SHA-256、MD5
  --web-port N                Web 管理界面的 HTTPS 端口（默认 8443；0 表示关闭 Web 管理界面）
  --web-redirect-port N       跳转到 HTTPS 的 HTTP 端口（0 表示不使用）
  --web-tls-min 1.2|1.3       Web 管理界面接受的最低 TLS 版本
  --web-idle-timeout 分钟     Web 会话闲置超过该时间后结束，1-1440
TLS 版本、摘要认证算法和空闲超时立即生效；端口在 edgesipd 重启后生效（systemctl restart edgesipd）。
示例：edgesip settings set --web-port 443 --web-redirect-port 80`,
  },
  adminAdded: { en: 'web admin {user} added', 'zh-CN': '已添加 Web 管理账号 {user}' },
  adminPasswordSet: { en: 'password of web admin {user} changed', 'zh-CN': '已修改 Web 管理账号 {user} 的密码' },
  adminRemoved: { en: 'web admin {user} removed; its web sessions have ended', 'zh-CN': '已删除 Web 管理账号 {user}，其 Web 会话已结束' },
  adminUnlocked: { en: 'web admin {user} unlocked', 'zh-CN': '已解除 Web 管理账号 {user} 的登录锁定' },
  adminNotFound: { en: 'no web admin {user}', 'zh-CN': 'Web 管理账号 {user} 不存在' },
  adminExists: { en: 'web admin {user} already exists', 'zh-CN': 'Web 管理账号 {user} 已存在' },
  noAdmins: { en: 'no web admin accounts', 'zh-CN': '没有 Web 管理账号' },
  adminGenerated: { en: 'generated password for {user}: {password}', 'zh-CN': '为 {user} 生成的密码：{password}' },
  adminStoreIt: {
    en: 'store it now in a safe place (a password manager): it is not shown again',
    'zh-CN': '请立即妥善保存（例如存入密码管理器）：该密码不会再次显示',
  },
  adminPasswordPrompt: { en: 'new password for {user}: ', 'zh-CN': '{user} 的新密码：' },
  adminPasswordAgain: { en: 'repeat the password: ', 'zh-CN': '再次输入密码：' },
  adminPasswordMismatch: { en: 'the passwords do not match; nothing changed', 'zh-CN': '两次输入的密码不一致，未做任何修改' },
  adminPasswordCancelled: { en: 'cancelled; nothing changed', 'zh-CN': '已取消，未做任何修改' },
  adminMissingPassword: {
    en: 'no terminal to ask the password on: use --password-stdin or --generate',
    'zh-CN': '没有可输入密码的终端：请使用 --password-stdin 或 --generate',
  },
  colUser: { en: 'USER', 'zh-CN': '用户' },
  colCreated: { en: 'CREATED', 'zh-CN': '创建时间' },
  colPasswordChanged: { en: 'PASSWORD CHANGED', 'zh-CN': '密码修改时间' },
  colLockedUntil: { en: 'LOCKED UNTIL', 'zh-CN': '锁定至' },
  certSubject: { en: 'Subject', 'zh-CN': '主题' },
  certIssuer: { en: 'Issuer', 'zh-CN': '颁发者' },
  certSan: { en: 'Names (SAN)', 'zh-CN': '名称（SAN）' },
  certNotBefore: { en: 'Valid from', 'zh-CN': '生效时间' },
  certNotAfter: { en: 'Valid until', 'zh-CN': '到期时间' },
  certDaysLeft: { en: 'Days left', 'zh-CN': '剩余天数' },
  certSelfSigned: { en: 'Self-signed', 'zh-CN': '自签名' },
  certFingerprint: { en: 'SHA-256', 'zh-CN': 'SHA-256 指纹' },
  certFile: { en: 'File', 'zh-CN': '文件' },
  certExpiringWarning: {
    en: 'warning: the certificate expires in {days} days: install a new one (edgesip cert install)',
    'zh-CN': '警告：证书将在 {days} 天后到期，请安装新证书（edgesip cert install）',
  },
  certExpiredWarning: {
    en: 'warning: the certificate expired {days} days ago: install a new one (edgesip cert install)',
    'zh-CN': '警告：证书已过期 {days} 天，请安装新证书（edgesip cert install）',
  },
  certInstalled: {
    en: 'certificate installed: SIP-TLS and the web admin now present it',
    'zh-CN': '证书已安装：SIP-TLS 和 Web 管理界面现已使用该证书',
  },
  cannotRead: { en: 'cannot read {flag} {file}: {detail}', 'zh-CN': '无法读取 {flag} {file}：{detail}' },
  'fileError.ENOENT': { en: 'no such file', 'zh-CN': '文件不存在' },
  'fileError.EACCES': { en: 'permission denied', 'zh-CN': '没有权限' },
  'fileError.EISDIR': { en: 'is a directory', 'zh-CN': '是一个目录' },
  'fileError.notFile': { en: 'not a regular file', 'zh-CN': '不是普通文件' },
  'fileError.tooLarge': { en: 'larger than {max} KiB: not a PEM file', 'zh-CN': '超过 {max} KiB，不是 PEM 文件' },
  settingSipPort: { en: 'SIP port (UDP, TCP)', 'zh-CN': 'SIP 端口（UDP、TCP）' },
  settingSipTlsPort: { en: 'SIP-TLS port', 'zh-CN': 'SIP-TLS 端口' },
  settingSipTlsMin: { en: 'SIP-TLS minimum version', 'zh-CN': 'SIP-TLS 最低版本' },
  settingDigestAlgorithms: { en: 'SIP digest algorithms', 'zh-CN': 'SIP 摘要认证算法' },
  settingWebPort: { en: 'Web admin port (HTTPS)', 'zh-CN': 'Web 管理端口（HTTPS）' },
  settingWebRedirectPort: { en: 'Web redirect port (HTTP)', 'zh-CN': 'Web 跳转端口（HTTP）' },
  settingWebTlsMin: { en: 'Web TLS minimum version', 'zh-CN': 'Web TLS 最低版本' },
  settingWebIdle: { en: 'Web idle timeout', 'zh-CN': 'Web 空闲超时' },
  settingOff: { en: 'off (web admin disabled)', 'zh-CN': '关闭（不提供 Web 管理界面）' },
  settingMinutes: { en: '{minutes} min', 'zh-CN': '{minutes} 分钟' },
  settingsSaved: { en: 'settings saved', 'zh-CN': '设置已保存' },
  settingsRestart: {
    en: 'the new ports take effect after: systemctl restart edgesipd',
    'zh-CN': '新端口在以下命令执行后生效：systemctl restart edgesipd',
  },
  colVerdict: { en: 'VERDICT', 'zh-CN': '结论' },
  systemResolverColumn: { en: 'SYSTEM', 'zh-CN': '系统' },
  systemResolver: { en: 'the system resolver', 'zh-CN': '系统解析器' },
  resolverAnd: { en: ' and ', 'zh-CN': '和' },
  dnsTimeoutCell: { en: 'timeout', 'zh-CN': '超时' },
  dnsNoRecord: { en: '(none)', 'zh-CN': '（无）' },
  'verdict.agree': { en: 'agree', 'zh-CN': '一致' },
  'verdict.disagree': { en: 'DISAGREE', 'zh-CN': '不一致' },
  'verdict.empty': { en: 'no record', 'zh-CN': '无记录' },
  'verdict.error': { en: 'failed', 'zh-CN': '失败' },
  diagFindings: { en: 'Findings:', 'zh-CN': '发现的问题：' },
  diagNoFindings: { en: 'All resolvers agree: no DNS problem found.', 'zh-CN': '所有解析器结果一致：未发现 DNS 问题。' },
  findingDisagree: {
    en: "{resolvers} disagree about {query} {type}: your ISP's DNS may be redirecting it; phones that resolve this name may fail to register.",
    'zh-CN': '{resolvers}对 {query} {type} 的解析结果不一致：运营商的 DNS 可能改写了该域名；解析此域名的话机可能无法注册。',
  },
  findingTimeout: { en: '{resolver} did not answer within {seconds} s ({queries})', 'zh-CN': '{resolver} 在 {seconds} 秒内未应答（{queries}）' },
  findingTimeoutUnknown: { en: '{resolver} did not answer in time ({queries})', 'zh-CN': '{resolver} 未及时应答（{queries}）' },
  findingError: { en: '{resolver} failed to answer {query} {type}: {code}', 'zh-CN': '{resolver} 解析 {query} {type} 失败：{code}' },
  diagCommands: { en: 'To check by hand:', 'zh-CN': '手动复查命令：' },
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
  permissionDenied: { en: 'permission denied on {socket}: join group edgesip (then log in again) or use sudo', 'zh-CN': '无权访问 {socket}：请加入 edgesip 组（之后重新登录）或使用 sudo 运行 edgesip' },
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
  missingOption: { en: 'missing option {flag}', 'zh-CN': '缺少选项 {flag}' },
  badDigestAlgorithms: {
    en: 'option --digest-algorithms takes SHA-256 and/or MD5, comma separated, most preferred first (e.g. MD5,SHA-256), not "{value}"',
    'zh-CN': '选项 --digest-algorithms 需要 SHA-256 和/或 MD5，以逗号分隔，首选的在前（例如 MD5,SHA-256），而不是 "{value}"',
  },
  badChoice: { en: 'option {flag} must be one of {choices}, not "{value}"', 'zh-CN': '选项 {flag} 必须是 {choices} 之一，而不是 "{value}"' },
  badArgChoice: { en: '{name} must be one of {choices}, not "{value}"', 'zh-CN': '{name} 必须是 {choices} 之一，而不是 "{value}"' },
  trunkAdded: { en: 'trunk {name} added', 'zh-CN': '已添加中继 {name}' },
  trunkUpdated: { en: 'trunk {name} updated', 'zh-CN': '已更新中继 {name}' },
  trunkRemoved: { en: 'trunk {name} removed', 'zh-CN': '已删除中继 {name}' },
  trunkNotFound: { en: 'no trunk {name}', 'zh-CN': '中继 {name} 不存在' },
  trunkExists: { en: 'trunk {name} already exists', 'zh-CN': '中继 {name} 已存在' },
  noTrunks: { en: 'no trunks', 'zh-CN': '没有中继' },
  noTrunkStatus: { en: 'no trunk status (no trunks, or none running yet)', 'zh-CN': '没有中继状态（没有中继，或尚未运行）' },
  trunkExpiresIn: { en: 'expires in {time}', 'zh-CN': '{time} 后到期' },
  trunkRetryIn: { en: 'retry in {time}', 'zh-CN': '{time} 后重试' },
  statusUsage: {
    en: `usage: edgesip status [--json]
  the SIP service (listen addresses, registered extensions, calls, trunks, blocks), the
  system (load, CPU temperature, memory, disk of the data directory, uptime) and the TLS
  certificate. --json prints the control API's view (GET /v1/status) for monitoring.
  Exits 1 when something needs attention: an enabled trunk failed, the TLS certificate
  expires within 30 days, or the disk is more than 90 % full.`,
    'zh-CN': `用法：edgesip status [--json]
  显示 SIP 服务（监听地址、已注册分机、通话、中继、封禁）、系统（负载、CPU 温度、内存、
  数据目录所在磁盘、运行时间）和 TLS 证书的状况。--json 输出控制 API 的视图
  （GET /v1/status），供监控使用。
  有需要处理的问题时退出码为 1：已启用的中继失败、TLS 证书 30 天内到期或磁盘使用超过 90 %。`,
  },
  fxsUsage: {
    en: `usage: edgesip fxs <subcommand>
  fxs status [--fxs-dir DIR] [--json]
the FXS gateway agent (edgesip-fxs): its line board (state, serial device, firmware,
bad frames, reconnects) and, per line, the SIP account, its registration (with the
expiry or the next retry), the hook, the call (with the other party) and the last error.
--fxs-dir DIR  the agent's data dir (default /var/lib/edgesip/fxs); the agent is
               reached on DIR/fxs.sock
--json         the agent's status (GET /v1/status) on one line, for monitoring
Exits 0 when the board is up and every enabled line is registered, 1 when something
needs attention (each reason is listed), 3 when the agent is not running.`,
    'zh-CN': `用法：edgesip fxs <子命令>
  fxs status [--fxs-dir DIR] [--json]
显示 FXS 网关代理（edgesip-fxs）的状态：线路板（状态、串口设备、固件、坏帧数、重连次数），
以及每条线路的 SIP 账号、注册状态（含到期时间或下次重试时间）、摘挂机、通话（含对方号码）
和最近的错误。
--fxs-dir DIR  代理的数据目录（默认 /var/lib/edgesip/fxs）；通过 DIR/fxs.sock 连接代理
--json         以单行 JSON 输出代理的状态（GET /v1/status），供监控使用
线路板正常且所有已启用线路均已注册时退出码为 0；有需要处理的问题时为 1（逐条列出原因）；
代理未运行时为 3。`,
  },
  completionUsage: {
    en: `usage: edgesip completion
  print the bash completion script (the Debian package installs it already), e.g.
  edgesip completion > /etc/bash_completion.d/edgesip`,
    'zh-CN': `用法：edgesip completion
  输出 bash 自动补全脚本（Debian 软件包已自动安装），例如
  edgesip completion > /etc/bash_completion.d/edgesip`,
  },
  statusSystem: { en: 'System', 'zh-CN': '系统' },
  statusSeparator: { en: ', ', 'zh-CN': '，' },
  statusSipLine: {
    en: 'listening {listening}; {registered} of {extensions} extensions registered ({contacts} contacts); {calls} calls; trunks: {trunks}; {blocks} blocks',
    'zh-CN': '监听 {listening}；{extensions} 个分机中 {registered} 个已注册（{contacts} 个联系地址）；{calls} 路通话；中继：{trunks}；{blocks} 个封禁',
  },
  statusNotListening: { en: 'nothing yet', 'zh-CN': '尚未监听' },
  statusWeb: { en: 'Web', 'zh-CN': 'Web' },
  statusWebOff: { en: 'off (web.port is 0)', 'zh-CN': '已关闭（web.port 为 0）' },
  statusTrunkCount: { en: '{count} {state}', 'zh-CN': '{state} {count} 个' },
  statusLoad: { en: 'load {load}', 'zh-CN': '负载 {load}' },
  statusTemperature: { en: 'CPU {temp} °C', 'zh-CN': 'CPU {temp} °C' },
  statusMemory: { en: 'memory {used}/{total} MiB', 'zh-CN': '内存 {used}/{total} MiB' },
  statusDisk: { en: 'disk {used}/{total} GiB ({mount})', 'zh-CN': '磁盘 {used}/{total} GiB（{mount}）' },
  statusUp: { en: 'up {time}', 'zh-CN': '已运行 {time}' },
  statusTlsSelfSigned: { en: 'self-signed', 'zh-CN': '自签名证书' },
  statusTlsInstalled: { en: 'installed certificate', 'zh-CN': '已安装的证书' },
  statusTlsExpires: { en: 'expires in {days} days', 'zh-CN': '{days} 天后到期' },
  statusTlsExpired: { en: 'expired {days} days ago', 'zh-CN': '已过期 {days} 天' },
  statusAttention: { en: 'needs attention:', 'zh-CN': '需要处理：' },
  statusTrunkFailed: { en: 'trunk {name} failed to register (edgesip trunk status)', 'zh-CN': '中继 {name} 注册失败（edgesip trunk status）' },
  statusTlsExpiring: { en: 'the TLS certificate expires in {days} days', 'zh-CN': 'TLS 证书将在 {days} 天后到期' },
  statusTlsExpiredReason: { en: 'the TLS certificate has expired', 'zh-CN': 'TLS 证书已过期' },
  statusDiskFull: { en: 'the disk of {mount} is {percent} % full', 'zh-CN': '{mount} 所在磁盘已使用 {percent} %' },
  'trunkState.registered': { en: 'registered', 'zh-CN': '已注册' },
  'trunkState.registering': { en: 'registering', 'zh-CN': '注册中' },
  'trunkState.failed': { en: 'failed', 'zh-CN': '失败' },
  'trunkState.unreachable': { en: 'unreachable', 'zh-CN': '不可达' },
  'trunkState.wrong-credentials': { en: 'wrong credentials', 'zh-CN': '账号或密码错误' },
  'trunkState.idle': { en: 'idle', 'zh-CN': '空闲' },
  'trunkState.ip': { en: 'no registration (ip)', 'zh-CN': '无需注册（IP 对接）' },
  'trunkType.register': { en: 'register', 'zh-CN': '注册' },
  'trunkType.ip': { en: 'ip', 'zh-CN': 'IP 对接' },
  'class.internal': { en: 'internal', 'zh-CN': '内部' },
  'class.local': { en: 'local', 'zh-CN': '本地' },
  'class.national': { en: 'national', 'zh-CN': '国内长途' },
  'class.international': { en: 'international', 'zh-CN': '国际长途' },
  'class.emergency': { en: 'emergency', 'zh-CN': '紧急呼叫' },
  ruleAdded: { en: 'dial rule {name} added at position {position}', 'zh-CN': '已在位置 {position} 添加拨号规则 {name}' },
  ruleRemoved: { en: 'dial rule {name} removed', 'zh-CN': '已删除拨号规则 {name}' },
  ruleMoved: { en: 'dial rule {name} moved to position {position}', 'zh-CN': '已将拨号规则 {name} 移到位置 {position}' },
  ruleNotFound: { en: 'no dial rule {name}', 'zh-CN': '拨号规则 {name} 不存在' },
  ruleExists: { en: 'dial rule {name} already exists', 'zh-CN': '拨号规则 {name} 已存在' },
  noRules: { en: 'no dial rules: calls to numbers that are no extension are refused', 'zh-CN': '没有拨号规则：拨打非分机号码的呼叫将被拒绝' },
  routeTestMatch: {
    en: '{number}: rule {name} ({class}), sends {sent} over {trunks}',
    'zh-CN': '{number}：规则 {name}（{class}），经 {trunks} 送出 {sent}',
  },
  routeTestNone: { en: '{number}: no dial rule matches', 'zh-CN': '{number}：没有匹配的拨号规则' },
  didAdded: { en: 'calls to {did} ring extension {extension}', 'zh-CN': '呼入 {did} 的呼叫将振铃分机 {extension}' },
  didRemoved: { en: 'DID {did} removed', 'zh-CN': '已删除 DID {did}' },
  didNotFound: { en: 'no DID {did}', 'zh-CN': 'DID {did} 不存在' },
  didExists: { en: 'DID {did} is already routed (remove it first)', 'zh-CN': 'DID {did} 已有路由（请先删除）' },
  noDids: { en: 'no DIDs', 'zh-CN': '没有 DID' },
  didDefault: { en: 'other numbers ring extension {extension}', 'zh-CN': '其他号码振铃分机 {extension}' },
  didDefaultNone: { en: 'calls to other numbers are refused', 'zh-CN': '呼入其他号码的呼叫将被拒绝' },
  languageIs: { en: 'language: {language}', 'zh-CN': '语言：{language}' },
  languageSet: {
    en: 'language set to {language}; new trunks get the Request-URI parameters {params} unless given (existing trunks are unchanged)',
    'zh-CN': '语言已设为 {language}；新建中继未指定时使用 Request-URI 参数 {params}（已有中继不变）',
  },
  noneValue: { en: 'none', 'zh-CN': '无' },
  colType: { en: 'TYPE', 'zh-CN': '类型' },
  colDomain: { en: 'DOMAIN', 'zh-CN': '域名' },
  colProxy: { en: 'PROXY', 'zh-CN': '代理' },
  colUsername: { en: 'USERNAME', 'zh-CN': '账号' },
  colUriParams: { en: 'URI PARAMS', 'zh-CN': 'URI 参数' },
  colPeers: { en: 'PEERS', 'zh-CN': '对端网络' },
  colDetail: { en: 'DETAIL', 'zh-CN': '详情' },
  colPos: { en: 'POS', 'zh-CN': '位置' },
  colPattern: { en: 'PATTERN', 'zh-CN': '模式' },
  colStrip: { en: 'STRIP', 'zh-CN': '去除位数' },
  colPrefix: { en: 'PREFIX', 'zh-CN': '前缀' },
  colTrunks: { en: 'TRUNKS', 'zh-CN': '中继' },
  colClass: { en: 'CLASS', 'zh-CN': '类别' },
  colDid: { en: 'DID', 'zh-CN': 'DID' },
  colPermission: { en: 'PERMISSION', 'zh-CN': '呼叫权限' },
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
  fxsNotRunning: { en: 'edgesip-fxs is not running (no status socket at {socket})', 'zh-CN': 'edgesip-fxs 未运行（{socket} 处没有状态套接字）' },
  fxsTimeout: { en: 'edgesip-fxs did not answer in time ({socket})', 'zh-CN': 'edgesip-fxs 未及时应答（{socket}）' },
  fxsProtocolError: { en: 'unexpected reply from edgesip-fxs: {detail}', 'zh-CN': 'edgesip-fxs 的应答异常：{detail}' },
  fxsFailed: { en: 'edgesip-fxs failed to answer: {message}', 'zh-CN': 'edgesip-fxs 应答失败：{message}' },
  fxsNoLines: { en: 'no lines configured (add them to fxs.json in the agent\'s data dir)', 'zh-CN': '未配置线路（请在代理数据目录的 fxs.json 中添加）' },
  fxsBoardLine: { en: 'board {state} ({details}); server {server}, local {local}', 'zh-CN': '线路板{state}（{details}）；服务器 {server}，本地 {local}' },
  fxsFirmware: { en: 'firmware {firmware}', 'zh-CN': '固件 {firmware}' },
  fxsBoardLines: { en: '{count} lines', 'zh-CN': '{count} 路' },
  fxsBadFrames: { en: '{count} bad frames', 'zh-CN': '坏帧 {count} 个' },
  fxsReconnects: { en: '{count} reconnects', 'zh-CN': '重连 {count} 次' },
  fxsBoardDown: { en: 'the line board on {path} is down (check its cable and power)', 'zh-CN': '{path} 上的线路板已断开（请检查连接线和电源）' },
  fxsBoardNotUp: { en: 'the line board on {path} is not connected yet', 'zh-CN': '{path} 上的线路板尚未连接' },
  fxsLineAuthFailed: {
    en: 'line {line} ({username}): the server refused its credentials{error}; check username, authUsername and password in fxs.json',
    'zh-CN': '线路 {line}（{username}）：服务器拒绝了其账号或密码{error}；请检查 fxs.json 中的 username、authUsername 和 password',
  },
  fxsLineFailed: { en: 'line {line} ({username}) failed to register{error}', 'zh-CN': '线路 {line}（{username}）注册失败{error}' },
  fxsLineUnreachable: { en: 'line {line} ({username}): the server {server} does not answer{error}', 'zh-CN': '线路 {line}（{username}）：服务器 {server} 无应答{error}' },
  fxsLineRegistering: { en: 'line {line} ({username}) is not registered yet{error}', 'zh-CN': '线路 {line}（{username}）尚未注册{error}' },
  fxsWithDetail: { en: '{state} ({detail})', 'zh-CN': '{state}（{detail}）' },
  fxsLastErrorSuffix: { en: ' ({error})', 'zh-CN': '（{error}）' },
  colLine: { en: 'LINE', 'zh-CN': '线路' },
  colRegistration: { en: 'REGISTRATION', 'zh-CN': '注册' },
  colHook: { en: 'HOOK', 'zh-CN': '摘挂机' },
  colCall: { en: 'CALL', 'zh-CN': '通话' },
  colLastError: { en: 'LAST ERROR', 'zh-CN': '最近错误' },
  'fxsBoard.connecting': { en: 'connecting', 'zh-CN': '连接中' },
  'fxsBoard.up': { en: 'up', 'zh-CN': '正常' },
  'fxsBoard.down': { en: 'down', 'zh-CN': '已断开' },
  'fxsReg.disabled': { en: 'disabled', 'zh-CN': '已停用' },
  'fxsReg.registering': { en: 'registering', 'zh-CN': '注册中' },
  'fxsReg.registered': { en: 'registered', 'zh-CN': '已注册' },
  'fxsReg.failed': { en: 'failed', 'zh-CN': '失败' },
  'fxsReg.unreachable': { en: 'unreachable', 'zh-CN': '不可达' },
  'fxsReg.auth-failed': { en: 'wrong credentials', 'zh-CN': '账号或密码错误' },
  'fxsHook.on-hook': { en: 'on hook', 'zh-CN': '挂机' },
  'fxsHook.off-hook': { en: 'off hook', 'zh-CN': '摘机' },
  'fxsHook.unknown': { en: 'unknown', 'zh-CN': '未知' },
  'fxsCall.idle': { en: 'idle', 'zh-CN': '空闲' },
  'fxsCall.dial-tone': { en: 'dial tone', 'zh-CN': '拨号音' },
  'fxsCall.dialing': { en: 'dialling', 'zh-CN': '拨号中' },
  'fxsCall.calling': { en: 'calling', 'zh-CN': '呼叫中' },
  'fxsCall.ringback': { en: 'ringback', 'zh-CN': '回铃' },
  'fxsCall.ringing': { en: 'ringing', 'zh-CN': '振铃中' },
  'fxsCall.connected': { en: 'connected', 'zh-CN': '通话中' },
  'fxsCall.busy-tone': { en: 'busy tone', 'zh-CN': '忙音' },
  'fxsCall.congestion': { en: 'congestion tone', 'zh-CN': '拥塞音' },
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
