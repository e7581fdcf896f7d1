/** edgesip language [en|zh-CN] — show or set the language setting of the daemon. */
import { defaultRequestUriParams, type Language } from '../../config/schema';
import type { LanguageView } from '../../control/backend';
import { callApi, EXIT_OK, flag, parseCommand, printJson, UsageError, type CliContext } from './common';

const GROUP = 'language';
const LANGUAGES: readonly Language[] = ['en', 'zh-CN'];

export async function languageCommand(args: string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(ctx, GROUP, args, { json: { type: 'boolean' } });
  if (parsed.values.help === true || parsed.positionals[0] === 'help') {
    ctx.out(ctx.t('languageUsage'));
    return EXIT_OK;
  }
  const [wanted, extra] = parsed.positionals;
  if (extra !== undefined) throw new UsageError(ctx.t('extraArgument', { arg: extra }), GROUP);
  const json = flag(parsed.values, 'json');
  if (wanted === undefined) {
    const view = (await callApi(ctx, 'GET', '/v1/settings/language')) as LanguageView;
    if (json) printJson(ctx, view);
    else ctx.out(ctx.t('languageIs', { language: view.language }));
    return EXIT_OK;
  }
  const language = LANGUAGES.find((l) => l.toLowerCase() === wanted.toLowerCase());
  if (language === undefined) throw new UsageError(ctx.t('badArgChoice', { name: 'LANGUAGE', choices: LANGUAGES.join('|'), value: wanted }), GROUP);
  const view = (await callApi(ctx, 'PUT', '/v1/settings/language', { language }, { fieldNames: { language: 'LANGUAGE' } })) as LanguageView;
  if (json) printJson(ctx, view);
  else {
    const params = defaultRequestUriParams(view.language);
    ctx.out(ctx.t('languageSet', { language: view.language, params: params === '' ? ctx.t('noneValue') : `"${params}"` }));
  }
  return EXIT_OK;
}
