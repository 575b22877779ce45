/** The kit against the local runtime: replicas as processes, Node data plane. */
import { localConformance } from './testdata/conformance/testing.js';

localConformance('local', 'process');
