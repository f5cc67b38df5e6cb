#!/usr/bin/env node
// `node src/cli/main.ts` runs the CLI as well (the image does); the `enclave` binary is enclave.js,
// which adds a compile cache. Every command loads lazily (cli-commands.ts), so --help is quick.
import { runCli } from './run-cli.ts';

const code = await runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr });
if (code !== null) process.exitCode = code;
