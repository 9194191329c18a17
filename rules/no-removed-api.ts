import { packRule } from '../src/eslint/pack-rule.js';

export default packRule('no-removed-api', { hasSuggestions: true });
