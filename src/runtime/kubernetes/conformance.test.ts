import { runtimeConformance } from '../testing.js';
import { startHarness, testState } from './testing/harness.js';

// The kit asks for addresses by name only (no declared port), so before a Service exists the
// runtime assumes port 80 (DEFAULT_SERVICE_PORT); the states here listen on 80 so the address is the
// same before and after the first deploy. The engine passes each service's declared port.
runtimeConformance('kubernetes', async () => {
  const h = await startHarness();
  const first = h.open();
  let last = first;
  return {
    runtime: first,
    makeState: (o) => testState(o),
    newInstance: async () => (last = h.open()),
    teardown: async () => {
      await last.remove('conform', 'test').catch(() => undefined);
      await h.close();
    },
  };
});
