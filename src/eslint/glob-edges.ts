import ts from '../ts.js';
import { matchesGlob } from '../code/rc-controllers.js';

// Edges of the project index's graph that no import makes: a file that registers other files by a glob
// (routing-controllers' `controllers: [path.join(__dirname, 'ops/*.controller.{ts,js}')]`) reaches their methods as
// routes, so its analysis decides their ambient verdicts exactly as an importer's would (the route's middleware enters
// the store). Without the edge, a lint of such a controller analysed it without the server that registers it: the
// method looked like a container-made class nobody calls, `unscoped`, where the walker (whole program) said what the
// route's middleware entered (the parity flake of the routing-controllers fixture).
//
// The glob is read from the text by TypeScript's scanner (no parse), so it is matched loosely: relative to any folder
// (`**/` before it, leading `./`, `../` and `/` dropped) and for a `.js` pattern also the `.ts` source. A file matched
// that the server does not register only costs its analysis in the importer set; a glob missed would cost a verdict.

/** String literals and template pieces of `text` that hold a `*`: the globs a file may register files by. */
export function globLiterals(text: string): string[] {
  // Most files hold no glob: no scan for them (a comment's `/**` alone is not a reason).
  if (!text.includes('*.') && !text.includes('*{') && !text.includes('**/')) return [];
  const out = new Set<string>();
  const take = (value: string): void => {
    if (value.includes('*') && value.length <= 300 && !/\s/.test(value)) out.add(value);
  };
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  // Brace depths at which a template's `${` opened: its `}` continues the template, not a block.
  const spans: number[] = [];
  let depth = 0;
  let previous = ts.SyntaxKind.Unknown;
  for (let t = scanner.scan(); t !== ts.SyntaxKind.EndOfFileToken; t = scanner.scan()) {
    if (t === ts.SyntaxKind.OpenBraceToken) depth++;
    else if (t === ts.SyntaxKind.CloseBraceToken) {
      if (spans.length && spans[spans.length - 1] === depth) {
        t = scanner.reScanTemplateToken(false);
        if (t === ts.SyntaxKind.TemplateTail) spans.pop();
        take(scanner.getTokenValue());
      } else depth--;
    } else if (t === ts.SyntaxKind.TemplateHead) {
      spans.push(depth);
      take(scanner.getTokenValue());
    } else if (t === ts.SyntaxKind.StringLiteral || t === ts.SyntaxKind.NoSubstitutionTemplateLiteral) {
      take(scanner.getTokenValue());
    } else if ((t === ts.SyntaxKind.SlashToken || t === ts.SyntaxKind.SlashEqualsToken) && startsExpression(previous)) {
      // A regular expression where an operand is expected: scanned whole, so a quote in it opens no string.
      t = scanner.reScanSlashToken();
    }
    previous = t;
  }
  return [...out];
}

/** Whether a `/` after a token of this kind begins an operand (a regular expression), not a division. */
function startsExpression(previous: ts.SyntaxKind): boolean {
  switch (previous) {
    case ts.SyntaxKind.Identifier:
    case ts.SyntaxKind.NumericLiteral:
    case ts.SyntaxKind.BigIntLiteral:
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
    case ts.SyntaxKind.TemplateTail:
    case ts.SyntaxKind.RegularExpressionLiteral:
    case ts.SyntaxKind.CloseParenToken:
    case ts.SyntaxKind.CloseBracketToken:
    case ts.SyntaxKind.CloseBraceToken:
    case ts.SyntaxKind.ThisKeyword:
    case ts.SyntaxKind.SuperKeyword:
    case ts.SyntaxKind.PlusPlusToken:
    case ts.SyntaxKind.MinusMinusToken:
      return false;
    default:
      return true;
  }
}

/**
 * Whether the project file `rel` (root-relative, `/`-separated) may be one that a glob literal registers: the glob
 * taken relative to any folder, and a `.js` glob matching the TypeScript source too.
 */
export function globMayMatch(glob: string, rel: string, asJs: string = jsNameOf(rel)): boolean {
  const loose = looseGlob(glob);
  if (loose === null) return false;
  // A path the glob's longest literal piece is not in cannot match it: most of the project, tested without the
  // pattern, whose leading `(?:.*/)?` backtracks over every folder of the path (a warm lint of signacare spent 1.5 % of
  // its samples matching its 34 literals against its 3,371 files; performance.md, lint36).
  const piece = loose.piece;
  const inRel = rel.includes(piece);
  if (!inRel && (asJs === rel || !asJs.includes(piece))) return false;
  globWork.tested++;
  if (inRel && matchesGlob(`/${rel}`, loose.glob)) return true;
  return asJs !== rel && matchesGlob(`/${asJs}`, loose.glob);
}

/** The `.js` name a TypeScript file is built to (`rel` itself for any other file): a `.js` glob may mean the source. */
export function jsNameOf(rel: string): string {
  return rel.replace(/\.([cm]?)tsx?$/, '.$1js');
}

/** A loose glob, and its longest literal piece (between wildcards and braces): every path it matches holds it. */
interface Loose {
  glob: string;
  piece: string;
}

/**
 * Each glob literal as it is matched, once per literal: the project's graph matches every literal against every listed
 * file (34 literals and 3,371 files on signacare), and taking the literal apart per file was most of that work.
 */
const loosened = new Map<string, Loose | null>();

/** How many literals were taken apart, and how many (literal, file) pairs reached the pattern (tests). */
export const globWork = { loosened: 0, tested: 0 };

/** The glob taken relative to any folder (`**\/` before it), or null when it names nothing in particular. */
function looseGlob(glob: string): Loose | null {
  let loose = loosened.get(glob);
  if (loose !== undefined) return loose;
  globWork.loosened++;
  const parts = glob.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  // A glob naming no folder or file part (`**/*.ts`, a test runner's or a bundler's) registers nothing in particular:
  // as an edge it would put its file among the importers of every file.
  const joined = `**/${parts.join('/')}`;
  loose = named(parts.join('/')) ? { glob: joined, piece: longestLiteral(joined) } : null;
  // An editor's process reads the literals of every text it lints: the map is let go of before it grows large.
  if (loosened.size >= 10_000) loosened.clear();
  loosened.set(glob, loose);
  return loose;
}

/**
 * The longest run of characters a glob matches only as themselves (rc-controllers.ts `globPattern`: `*`, `**`, `?` and
 * `{a,b}` match other text; the `/` of a `**\/` may match nothing). Tested against `/${rel}`, less its leading `/`:
 * a piece starting with `/` may stand for the path's start.
 */
export function longestLiteral(glob: string): string {
  let best = '';
  let run = '';
  const end = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      end();
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*' || c === '?') end();
    else if (c === '{') {
      end();
      const close = glob.indexOf('}', i);
      if (close < 0) return '';
      i = close;
    } else run += c;
  }
  end();
  return best.startsWith('/') ? best.slice(1) : best;
}

/** Whether a glob has a literal piece beyond its wildcards and a source extension (`ops/`, `.controller.`). */
function named(glob: string): boolean {
  const literal = glob.replace(/\{[^}]*\}|[*?]/g, '').replace(/\.[cm]?[jt]sx?\b/g, '');
  return /[\w-]/.test(literal);
}
