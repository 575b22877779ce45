// A fixture for the i18n test: one JSX text literal and one literal placeholder it must find.
export const Bad = () => (
  <div>
    Hello there
    <input placeholder="Type here" />
  </div>
);
