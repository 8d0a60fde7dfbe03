#!/usr/bin/env node
// Imports each BPMN file with bpmn-moddle (as bpmn-js would) and lints it with the
// repository's .bpmnlintrc. Prints one JSON object per run; exits 1 on any error or
// warning, 2 on bad usage.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const camundaSchema = require('camunda-bpmn-moddle/resources/camunda.json');

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const config = JSON.parse(await readFile(path.join(root, '.bpmnlintrc'), 'utf8'));
// A fresh linter per file: some rules (no-duplicate-sequence-flows) keep state between lint() calls.
const newLinter = () => new Linter({
  config,
  resolver: new NodeResolver({ require: createRequire(path.join(root, 'package.json')) })
});

async function check(file) {
  const moddle = new BpmnModdle({ camunda: camundaSchema });
  const xml = await readFile(file, 'utf8');
  const result = { file, importWarnings: [], errors: [], warnings: [] };
  try {
    const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
    result.importWarnings = warnings.map(w => w.message);
    const reports = await newLinter().lint(rootElement);
    for (const [rule, entries] of Object.entries(reports)) {
      for (const { id, message, category } of entries) {
        const entry = { rule, id, message };
        (category === 'error' || category === 'rule-error' ? result.errors : result.warnings).push(entry);
      }
    }
  } catch (err) {
    result.errors.push({ rule: 'import', message: err.message });
  }
  return result;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/bpmn_check.mjs FILE.bpmn...');
  process.exit(2);
}
const results = [];
for (const file of files) {
  results.push(await check(file));
}
const ok = results.every(r => !r.importWarnings.length && !r.errors.length && !r.warnings.length);
console.log(JSON.stringify({ ok, results }, null, 2));
process.exit(ok ? 0 : 1);
