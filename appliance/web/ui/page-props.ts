import type { Language } from '../../control/backend';

/** What every page gets from the console (shell.ts). */
export interface PageProps {
  user: string;
  language: Language;
  onLanguage: (lang: Language) => Promise<void>;
}
