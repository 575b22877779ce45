/** Switches the console between English and simplified Chinese; the choice is remembered. */
import { Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type Language } from '../i18n';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <Select<Language>
      size="small"
      aria-label={t('shell.language')}
      data-testid="language"
      value={(LANGUAGES as readonly string[]).includes(i18n.language) ? (i18n.language as Language) : 'en'}
      style={{ width: 110 }}
      onChange={(lng) => void i18n.changeLanguage(lng)}
      options={LANGUAGES.map((l) => ({ value: l, label: t(`language.${l}`) }))}
    />
  );
}
