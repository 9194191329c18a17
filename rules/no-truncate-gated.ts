import { coreRule } from '../src/eslint/create-rule.js';

export default coreRule('no-truncate-gated');
