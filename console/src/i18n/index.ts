/**
 * Translations: English and simplified Chinese. The language comes from the last choice (localStorage)
 * or the browser; any Chinese variant shows zh-CN, anything else English.
 */
import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { zhCN } from './zh-CN';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Maps a browser language tag to one the console has. */
export function supportedLanguage(tag: string | undefined): Language {
  return tag?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

i18n.on('languageChanged', (lng) => {
  document.documentElement.lang = lng;
});

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    supportedLngs: [...LANGUAGES],
    fallbackLng: 'en',
    load: 'currentOnly',
    interpolation: { escapeValue: false },
    detection: {
      order: ['localStorage', 'navigator'],
      lookupLocalStorage: 'berth.language',
      caches: ['localStorage'],
      convertDetectedLanguage: (lng: string) => supportedLanguage(lng),
    },
    returnNull: false,
  });
document.documentElement.lang = i18n.language;

export default i18n;
