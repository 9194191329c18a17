import { packRule } from '../src/eslint/pack-rule.js';

export default packRule('no-deprecated-header', { fixable: true });
