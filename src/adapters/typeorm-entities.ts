import ts from '../ts.js';

// TypeORM entity metadata read from the decorators: the table an @Entity class maps to (used by the adapter to name
// the table a write goes to) and the columns it declares (used by the RLS model when the schema is made by
// `synchronize`: schema/synchronize.ts creates those tables in the replay). Only what the source states is read:
// a name that is no constant, a base class that cannot be followed, an embedded column, a naming strategy are
// reported as unreadable, never guessed.

/** The class's `@Entity(…)` or `@ViewEntity(…)` decorator call, if it has one. */
export function entityDecorator(cls: ts.ClassLikeDeclaration): ts.CallExpression | undefined {
  for (const d of ts.canHaveDecorators(cls) ? (ts.getDecorators(cls) ?? []) : []) {
    const e = d.expression;
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && ['Entity', 'ViewEntity'].includes(e.expression.text))
      return e;
  }
  return undefined;
}

/**
 * The table of an entity class: `@Entity('name')`, `@Entity({ name, schema })`, else TypeORM's default naming (the
 * snake_case of the class name). `constant` folds an expression to its string value.
 */
export function entityTable(
  cls: ts.ClassLikeDeclaration,
  constant: (e: ts.Expression) => string | undefined,
): { name: string; schema?: string } | { unresolved: string } {
  const decorator = entityDecorator(cls);
  if (!decorator) return { unresolved: `${cls.name?.text ?? 'the class'} has no @Entity decorator` };
  let name: string | undefined;
  let schema: string | undefined;
  const first = decorator.arguments[0];
  if (first && ts.isObjectLiteralExpression(first)) {
    for (const p of first.properties) {
      if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
      if (p.name.text === 'name') name = constant(p.initializer);
      if (p.name.text === 'schema') schema = constant(p.initializer);
    }
  } else if (first) name = constant(first);
  if (first && !ts.isObjectLiteralExpression(first) && name === undefined)
    return { unresolved: 'the @Entity name is not a constant' };
  return { name: name ?? snakeCase(cls.name?.text ?? ''), ...(schema !== undefined ? { schema } : {}) };
}

/** TypeORM's default naming: UserProfile → user_profile. */
export function snakeCase(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** One column an entity declares, as `synchronize` creates it. */
export interface EntityColumn {
  name: string;
  /** The Postgres type; `text` where TypeORM's type is not one that matters to a policy (an enum, simple-json). */
  type: string;
  /** The source line of the property that declares it. */
  line: number;
  /** A primary key column. */
  primary?: true;
}

const COLUMN_DECORATORS: Readonly<Record<string, string>> = {
  Column: '',
  PrimaryColumn: '',
  PrimaryGeneratedColumn: 'integer',
  CreateDateColumn: 'timestamp',
  UpdateDateColumn: 'timestamp',
  DeleteDateColumn: 'timestamp',
  VersionColumn: 'integer',
};

/** TypeORM's column types as Postgres spells them (`synchronize` makes the same). */
const TYPES: Readonly<Record<string, string>> = {
  uuid: 'uuid',
  text: 'text',
  varchar: 'varchar',
  'character varying': 'varchar',
  char: 'char',
  character: 'char',
  string: 'varchar',
  int: 'integer',
  int4: 'integer',
  integer: 'integer',
  smallint: 'smallint',
  int2: 'smallint',
  bigint: 'bigint',
  int8: 'bigint',
  decimal: 'numeric',
  numeric: 'numeric',
  float: 'double precision',
  float8: 'double precision',
  double: 'double precision',
  'double precision': 'double precision',
  real: 'real',
  float4: 'real',
  boolean: 'boolean',
  bool: 'boolean',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  interval: 'interval',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  tsvector: 'tsvector',
  // Values whose shape no policy compares: TypeORM makes an enum type or a text column.
  enum: 'text',
  'simple-enum': 'text',
  'simple-array': 'text',
  'simple-json': 'text',
};

/** A design type (`string`, `number`, `Date`, …) as reflect-metadata reports it, to TypeORM's default column type. */
function designType(t: ts.TypeNode | undefined): string {
  if (!t) return 'text';
  if (t.kind === ts.SyntaxKind.StringKeyword) return 'varchar';
  if (t.kind === ts.SyntaxKind.NumberKeyword) return 'integer';
  if (t.kind === ts.SyntaxKind.BooleanKeyword) return 'boolean';
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && t.typeName.text === 'Date') return 'timestamp';
  // A union with null or undefined reflects as Object in TypeORM; other types do not matter to a policy.
  return 'text';
}

/** A property's name when it is written as a name or a string. */
export function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

function decoratorName(d: ts.Decorator): { name: string; call?: ts.CallExpression } | undefined {
  const e = d.expression;
  const callee = ts.isCallExpression(e) ? e.expression : e;
  return ts.isIdentifier(callee) ? { name: callee.text, ...(ts.isCallExpression(e) ? { call: e } : {}) } : undefined;
}

function option(obj: ts.Expression | undefined, key: string): ts.Expression | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  for (const p of obj.properties)
    if (ts.isPropertyAssignment(p) && propertyName(p.name) === key) return p.initializer;
  return undefined;
}

/**
 * The columns a class declares itself (not its base classes'): `@Column`, `@PrimaryColumn`, `@PrimaryGeneratedColumn`,
 * the date and version columns, and the foreign key of a `@ManyToOne` (or a `@OneToOne` with `@JoinColumn`) that no
 * column of the same name declares. `relationKey` gives the type of the related entity's key (`uuid`), or undefined.
 * `unread` lists what cannot be read (a name that is no constant, an embedded entity, a relation's key type).
 */
export function declaredColumns(
  cls: ts.ClassLikeDeclaration,
  constant: (e: ts.Expression) => string | undefined,
  relationKey: (target: ts.Expression) => string | undefined,
): { columns: EntityColumn[]; unread: string[] } {
  const columns: EntityColumn[] = [];
  const unread: string[] = [];
  const relations: { name: string; target: ts.Expression | undefined; line: number; prop: string }[] = [];
  const sf = cls.getSourceFile();
  for (const m of cls.members) {
    if (!ts.isPropertyDeclaration(m) || !ts.canHaveDecorators(m)) continue;
    const prop = propertyName(m.name);
    const line = sf.getLineAndCharacterOfPosition(m.getStart(sf)).line + 1;
    const decorators = (ts.getDecorators(m) ?? []).map(decoratorName).filter((d) => d !== undefined);
    for (const d of decorators) {
      const args = d.call?.arguments ?? ts.factory.createNodeArray<ts.Expression>();
      if (Object.hasOwn(COLUMN_DECORATORS, d.name)) {
        const first = args[0];
        if (first && (ts.isArrowFunction(first) || ts.isFunctionExpression(first))) {
          unread.push(`${prop ?? 'a property'} (line ${line}) embeds another class's columns`);
          continue;
        }
        const options = first && ts.isObjectLiteralExpression(first) ? first : args[1];
        const named = option(options, 'name');
        const name = named ? constant(named) : prop;
        if (name === undefined) {
          unread.push(`the name of the column at line ${line} is not a constant`);
          continue;
        }
        const typeExpr = first && !ts.isObjectLiteralExpression(first) ? first : option(options, 'type');
        const typeName = typeExpr ? constant(typeExpr) : undefined;
        let type = COLUMN_DECORATORS[d.name] || designType(m.type);
        if (d.name === 'PrimaryGeneratedColumn') type = typeName === 'uuid' ? 'uuid' : 'integer';
        else if (typeName !== undefined) type = TYPES[typeName.toLowerCase()] ?? 'text';
        const array = option(options, 'array');
        if (array && array.kind === ts.SyntaxKind.TrueKeyword) type += '[]';
        columns.push({ name, type, line, ...(d.name.startsWith('Primary') ? { primary: true as const } : {}) });
      }
      if ((d.name === 'ManyToOne' || d.name === 'OneToOne') && prop) {
        const owner = d.name === 'ManyToOne' || decorators.some((x) => x.name === 'JoinColumn');
        if (!owner) continue;
        const join = decorators.find((x) => x.name === 'JoinColumn')?.call?.arguments[0];
        const named = option(join, 'name');
        if (join && option(join, 'referencedColumnName')) {
          unread.push(`the join column of ${prop} (line ${line}) references a column other than the key`);
          continue;
        }
        const name = named ? constant(named) : `${prop}Id`;
        if (name === undefined) {
          unread.push(`the join column name of ${prop} (line ${line}) is not a constant`);
          continue;
        }
        const target = args[0];
        relations.push({
          name,
          target: target && (ts.isArrowFunction(target) && ts.isExpression(target.body) ? target.body : undefined),
          line,
          prop,
        });
      }
    }
  }
  for (const r of relations) {
    if (columns.some((c) => c.name === r.name)) continue;
    const type = r.target && relationKey(r.target);
    if (type === undefined) {
      unread.push(`the key type of the entity ${r.prop} (line ${r.line}) relates to cannot be read`);
      continue;
    }
    columns.push({ name: r.name, type, line: r.line });
  }
  return { columns, unread };
}
