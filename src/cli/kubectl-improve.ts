#!/usr/bin/env node
// kubectl-improve: the kubectl plugin (`kubectl improve ...`) for steering
// ImprovementTargets. All logic lives in src/plugin.
import { runPlugin } from '../plugin/command.ts';

process.exitCode = await runPlugin(process.argv);
