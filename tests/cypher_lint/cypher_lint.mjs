// Lints Cypher with no Neo4j server: reads [{name, query}, ...] as JSON on stdin and prints
// [{name, errors: [{message, line, column}], warnings: [...]}, ...] as JSON on stdout.
//
//   echo '[{"name": "q", "query": "MATCH (n) RETURN n"}]' | node tests/cypher_lint/cypher_lint.mjs
//
// The npm package is installed outside the repository's tracked files (see package.json here);
// CYPHER_LINT_MODULES names the folder holding its node_modules (default tests/.cypher-lint).
// Exit status: 0 when the input was read and linted (errors or not), 2 when the linter is missing.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesRoot = process.env.CYPHER_LINT_MODULES || path.join(here, '..', '.cypher-lint');
const require = createRequire(path.join(path.resolve(modulesRoot), 'package.json'));

let lib;
try {
  lib = require('@neo4j-cypher/language-support');
} catch (err) {
  process.stderr.write(`cypher_lint: @neo4j-cypher/language-support not found under ${modulesRoot}: ${err.message}\n`);
  process.exit(2);
}
const { lintCypherQuery, isNotParamError } = lib;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const items = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const describe = (d) => ({
  message: d.message,
  line: d.range.start.line + 1,
  column: d.range.start.character + 1,
});

const results = [];
for (const { name, query } of items) {
  // With no database schema every $param reads as undefined: those are not errors here.
  const { diagnostics } = await lintCypherQuery(query, {});
  const real = diagnostics.filter(isNotParamError);
  results.push({
    name,
    errors: real.filter((d) => d.severity === 1).map(describe),
    warnings: real.filter((d) => d.severity !== 1).map(describe),
  });
}
process.stdout.write(JSON.stringify(results) + '\n');
