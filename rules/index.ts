import noDeprecatedEnv from './no-deprecated-env.js';
import noDeprecatedHeader from './no-deprecated-header.js';
import noIncompleteAudit from './no-incomplete-audit.js';
import noPoolScopedContext from './no-pool-scoped-context.js';
import noUnpinnedDefiner from './no-unpinned-definer.js';
import noRemovedApi from './no-removed-api.js';
import noTruncateGated from './no-truncate-gated.js';
import noUnjustifiedSuppression from './no-unjustified-suppression.js';
import noUnresolvedWrite from './no-unresolved-write.js';
import noUnscopedWrite from './no-unscoped-write.js';
import noUnusedSuppression from './no-unused-suppression.js';

export const rules = {
  'no-unscoped-write': noUnscopedWrite,
  'no-unresolved-write': noUnresolvedWrite,
  'no-pool-scoped-context': noPoolScopedContext,
  'no-truncate-gated': noTruncateGated,
  'no-unpinned-definer': noUnpinnedDefiner,
  'no-unjustified-suppression': noUnjustifiedSuppression,
  'no-unused-suppression': noUnusedSuppression,
  'no-removed-api': noRemovedApi,
  'no-deprecated-env': noDeprecatedEnv,
  'no-deprecated-header': noDeprecatedHeader,
  'no-incomplete-audit': noIncompleteAudit,
};
