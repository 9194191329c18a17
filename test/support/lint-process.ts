import { resetProjectIndexes } from '../../src/eslint/project-index.js';
import { settleCliBuilds } from '../../src/eslint/cli-build.js';
import { eslintFor, lintMessages } from './eslint-project.js';

// One command-line lint of one file in a process of its own (`node --import tsx lint-process.ts ROOT REL`): what a
// new `eslint` process answers, from the project index on disk when it is warm. Prints the messages as JSON.

const [root, rel] = process.argv.slice(2);
const found = await lintMessages(eslintFor(root!), root!, rel!);
settleCliBuilds(); // a cold index's child build, waited for
resetProjectIndexes(); // writes the index, as the process's exit does
process.stdout.write(JSON.stringify(found));
