#!/usr/bin/env node
// Operator entry point. Registers tsx so the TypeScript sources run as they are (no build step).
import { register } from 'tsx/esm/api';

register();
await import('./cli/main.ts');
