#!/usr/bin/env node
// The `fragcast` command: runs the TypeScript server through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../server/main.ts');
