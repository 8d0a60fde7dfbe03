#!/usr/bin/env node
// Bundles the 流程设计 page's modeler (bpmn-js Modeler, the Camunda 7 properties panel, bpmnlint with the
// repository's .bpmnlintrc) from node_modules into api/pages/static/build/, so the page loads nothing from
// outside the server. Run by `npm run build:designer` (the Makefile's designer bundle step).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const compileConfig = require('bpmnlint/lib/support/compile-config');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'api/pages/static/build');
const generated = path.join(root, 'node_modules/.designer');

await mkdir(generated, { recursive: true });
const lintConfig = JSON.parse(await readFile(path.join(root, '.bpmnlintrc'), 'utf8'));
const resolver = new NodeResolver({ require: createRequire(path.join(root, 'package.json')) });
await writeFile(path.join(generated, 'bpmnlint-config.js'), await compileConfig(lintConfig, resolver));

const fonts = { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.eot': 'dataurl', '.svg': 'dataurl' };
await esbuild.build({
  entryPoints: { modeler: path.join(root, 'api/pages/modeler/modeler.js'),
                 'modeler-styles': path.join(root, 'api/pages/modeler/modeler.css') },
  bundle: true, minify: true, format: 'iife', target: 'es2020', outdir: out, loader: fonts,
  alias: { 'bpmnlint-config': path.join(generated, 'bpmnlint-config.js') },
  nodePaths: [path.join(root, 'node_modules')], logLevel: 'warning', legalComments: 'none',
  jsx: 'automatic', jsxImportSource: '@bpmn-io/properties-panel/preact'
});
console.log(`designer bundle written to ${path.relative(root, out)}`);
