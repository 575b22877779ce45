import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import './i18n';
import { adoptTokenFromFragment } from './auth/token';
import { App, ConsoleRoutes } from './App';

adoptTokenFromFragment();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App>
      <BrowserRouter>
        <ConsoleRoutes />
      </BrowserRouter>
    </App>
  </StrictMode>,
);
