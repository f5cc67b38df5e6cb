#!/usr/bin/env node
// The `enclave` binary. Plain JavaScript so that, with a warm compile cache, a command starts
// without loading Node's TypeScript stripper at all (most of `enclave --help`'s time otherwise).
// The cache lives under the user's home, not a shared temp folder where another local user could
// plant compiled code; where it cannot be written (a read-only image) it is simply off.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

enableCompileCache(join(homedir(), '.cache', 'enclave', 'node-compile-cache'));
await import('./main.ts');
