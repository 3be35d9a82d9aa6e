// Worker threads do not inherit the main thread's tsx loader on Node 20: register it here.
import { register } from 'tsx/esm/api';

register();
await import('./viewer-worker.ts');
