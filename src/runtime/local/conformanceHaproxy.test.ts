/** The kit against the local runtime with processes behind the HAProxy data plane (its own file: run in parallel). */
import { localConformance } from './testdata/conformance/testing.js';

localConformance('local, HAProxy data plane', 'process', 'haproxy');
