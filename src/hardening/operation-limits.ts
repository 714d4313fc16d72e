// Limits on the operation a request carries, each checked before anything is resolved, so that a
// refused operation sends no SQL:
//   parse:      MAX_TOKENS (graphql-armor's token-counting parser);
//   validation: MAX_QUERY_DEPTH, MAX_ALIASES, MAX_DIRECTIVES (graphql-armor's visitors), and
//               INTROSPECTION=false;
//   execution:  the page size (`first`/`last` at most PAGE_SIZE_MAX) and MAX_QUERY_COMPLEXITY, which
//               depend on the variables, so they run once the variables are known and before the
//               first resolver (Yoga caches validation results per document, whatever the variables).
// Every refusal says which limit, its value and what the operation had, with a stable
// extensions.code.
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { MaxTokensParserWLexer } from "@escape.tech/graphql-armor-max-tokens";
import { createComplexityRule } from "@pothos/plugin-complexity";
import {
  type ASTVisitor,
  BREAK,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLError,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isIntrospectionType,
  Lexer,
  type ParseOptions,
  Source,
  TokenKind,
  TypeInfo,
  type ValidationContext,
  type ValidationRule,
  validate,
  valueFromAST,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Limits } from "../config.ts";
import type { Context } from "../context.ts";
import { LONE_SURROGATE_RE } from "../domain/validation.ts";
import { checkPageArgs, FOREIGN_CURSOR } from "../schema/pagination.ts";

/** A refused operation: a request error (400 for application/graphql-response+json clients). */
function refusal(code: string, message: string, max: number, actual: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, max, actual, http: { status: 400, spec: true } } });
}

// --- MAX_TOKENS

class TokenLimitReached extends Error {}

/** Every token of the document (the whole of it is within MAX_BODY_BYTES), for the refusal's message. */
function countTokens(source: string | Source): number {
  const lexer = new Lexer(typeof source === "string" ? new Source(source) : source);
  let n = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) n++;
  } catch {
    // a syntax error further on: what was read so far is the count
  }
  return n;
}

/** graphql's parse, stopped by graphql-armor's lexer once the document has more than `max` tokens. */
function tokenLimitedParse(max: number) {
  return (source: string | Source, options?: ParseOptions): DocumentNode => {
    try {
      return new MaxTokensParserWLexer(source, {
        ...options,
        n: max,
        propagateOnRejection: false,
        onReject: [
          () => {
            throw new TokenLimitReached();
          },
        ],
      }).parseDocument();
    } catch (e) {
      if (!(e instanceof TokenLimitReached)) throw e;
      const actual = countTokens(source);
      throw refusal(
        "TOO_MANY_TOKENS",
        `Token limit exceeded: the document has ${actual} tokens; at most ${max} are allowed.`,
        max,
        actual,
      );
    }
  };
}

// --- MAX_QUERY_DEPTH, MAX_ALIASES, MAX_DIRECTIVES

type ArmorRule = (options: {
  n: number;
  onAccept: ((ctx: ValidationContext | null, details: { n: number }) => void)[];
  [option: string]: unknown;
}) => (context: ValidationContext) => unknown;

/**
 * A graphql-armor visitor used to measure each operation (its own limit set out of reach), and
 * the comparison made here, so that the error carries a code and both numbers.
 */
function measured(rule: ArmorRule, options: Record<string, unknown>, refuse: (n: number) => GraphQLError | undefined) {
  const validationRule: ValidationRule = (context) =>
    rule({
      ...options,
      n: Number.POSITIVE_INFINITY,
      onAccept: [
        (_ctx, { n }) => {
          const error = refuse(n);
          if (error) context.reportError(error);
        },
      ],
    })(context) as ASTVisitor;
  return validationRule;
}

function validationRules(limits: Limits): ValidationRule[] {
  const rules = [
    measured(maxDepthRule as ArmorRule, { ignoreIntrospection: true, flattenFragments: true }, (n) =>
      n > limits.depth
        ? refusal(
            "QUERY_TOO_DEEP",
            `Query depth limit exceeded: the operation nests fields ${n} levels deep; at most ${limits.depth} are allowed.`,
            limits.depth,
            n,
          )
        : undefined,
    ),
    measured(maxAliasesRule as ArmorRule, {}, (n) =>
      n > limits.aliases
        ? refusal(
            "TOO_MANY_ALIASES",
            `Alias limit exceeded: the operation uses ${n} aliases; at most ${limits.aliases} are allowed.`,
            limits.aliases,
            n,
          )
        : undefined,
    ),
    measured(maxDirectivesRule as ArmorRule, {}, (n) =>
      n > limits.directives
        ? refusal(
            "TOO_MANY_DIRECTIVES",
            `Directive limit exceeded: the operation uses ${n} directives; at most ${limits.directives} are allowed.`,
            limits.directives,
            n,
          )
        : undefined,
    ),
  ];
  if (!limits.introspection) rules.push(noIntrospection);
  return rules;
}

// --- INTROSPECTION=false

/** graphql's NoSchemaIntrospectionCustomRule (any field of an introspection type), with a code. */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const type = getNamedType(context.getType());
    if (type && isIntrospectionType(type)) {
      context.reportError(
        new GraphQLError(`Introspection is turned off on this server; the operation asks for "${node.name.value}".`, {
          nodes: node,
          extensions: { code: "INTROSPECTION_DISABLED" },
        }),
      );
    }
  },
});

/** Validation's "Did you mean ...?" hints would spell out the schema that introspection hides. */
function withoutSuggestions<E extends Error>(error: E): E | GraphQLError {
  const at = error.message.indexOf(" Did you mean ");
  if (at < 0 || !(error instanceof GraphQLError)) return error;
  return new GraphQLError(error.message.slice(0, at), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

// --- PAGE_SIZE_MAX and MAX_QUERY_COMPLEXITY, once the variables are known

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `cursor` is one the files and contracts lists write: base64 of `GPC:S:<uuid>`, exactly. */
export function isRowCursor(cursor: string): boolean {
  const decoded = Buffer.from(cursor, "base64").toString("utf8");
  if (!decoded.startsWith("GPC:S:") || !UUID_RE.test(decoded.slice(6))) return false;
  return Buffer.from(decoded).toString("base64") === cursor;
}

/** What is wrong with one list argument's value, as the resolvers would word it, or undefined. */
function listArgumentProblem(
  name: string,
  value: unknown,
  listType: string,
  maxPageSize: number,
): { message: string; extensions: Record<string, unknown> } | undefined {
  if ((name === "first" || name === "last") && typeof value === "number") {
    try {
      checkPageArgs({ [name]: value }, maxPageSize);
    } catch (e) {
      const error = e as GraphQLError;
      return { message: error.message, extensions: error.extensions };
    }
  }
  // The files and contracts lists' cursors encode a row id; lineage lists check their own
  // (src/schema/lineage). A tampered cursor must never reach SQL.
  const rowCursors = listType.endsWith("Connection") && listType !== "LineageConnection";
  if ((name === "after" || name === "before") && rowCursors && typeof value === "string" && !isRowCursor(value)) {
    return { message: `\`${name}\` ${FOREIGN_CURSOR}`, extensions: { code: "BAD_USER_INPUT", argument: name } };
  }
  return undefined;
}

/**
 * The first list argument of the executed operation that would be refused: a `first`/`last`
 * outside 0..max, or an `after`/`before` that is not a cursor of its list. Checked once the
 * variables are known, before the first resolver, so that a nested list cannot be refused only
 * after its parent's SQL has run.
 */
function listArgumentError(args: ExecutionArgs, maxPageSize: number): GraphQLError | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return undefined;
  const variables = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
  if (variables.errors) return undefined; // execution reports them
  const typeInfo = new TypeInfo(args.schema);
  let found: GraphQLError | undefined;
  visit(
    args.document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition: (node) => (node === operation ? undefined : false),
      Field(node) {
        const field = typeInfo.getFieldDef();
        if (!field) return undefined;
        const listType = getNamedType(field.type).name;
        for (const arg of node.arguments ?? []) {
          const definition = field.args.find((a) => a.name === arg.name.value);
          if (!definition) continue;
          const value = valueFromAST(arg.value, definition.type, variables.coerced);
          const problem = listArgumentProblem(arg.name.value, value, listType, maxPageSize);
          if (problem) {
            found = new GraphQLError(problem.message, { nodes: arg, extensions: problem.extensions });
            return BREAK;
          }
        }
        return undefined;
      },
    }),
  );
  return found;
}

/** The path of the first string in `value` (keys included) that is not well-formed UTF-16. */
function malformedTextAt(value: unknown, path: string[]): string[] | undefined {
  if (typeof value === "string") return LONE_SURROGATE_RE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const at = malformedTextAt(item, [...path, String(i)]);
      if (at) return at;
    }
  } else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const at = LONE_SURROGATE_RE.test(key) ? [...path, key] : malformedTextAt(item, [...path, key]);
      if (at) return at;
    }
  }
  return undefined;
}

/**
 * Text with half of a surrogate pair is not Unicode: no database column, JSON document or client
 * can hold it. GraphQL's parser refuses it in a literal; in a variable it is refused here, before
 * the operation runs.
 */
function malformedTextError(args: ExecutionArgs): GraphQLError | undefined {
  const where = malformedTextAt(args.variableValues ?? {}, ["$"]);
  if (!where) return undefined;
  return new GraphQLError(
    `Text must be valid Unicode: variable ${where.join(".")} holds half of a surrogate pair (e.g. an unpaired \\ud800).`,
    { extensions: { code: "BAD_USER_INPUT" } },
  );
}

/** The cost of the executed operation (src/hardening/complexity.ts), or undefined if it cannot be measured. */
function costOf(args: ExecutionArgs): number | undefined {
  let cost: number | undefined;
  const rule = createComplexityRule({
    context: args.contextValue as object,
    variableValues: (args.variableValues ?? {}) as Record<string, unknown>,
    operationName: args.operationName,
    validate: ({ complexity }) => {
      cost = complexity;
    },
  });
  // Only this rule: the document itself was validated already. Bad variables leave the cost
  // unmeasured, and execution reports them.
  validate(args.schema, args.document, [rule]);
  return cost;
}

/** The operation limits as one Yoga plugin. */
export function operationLimits(limits: Limits, maxPageSize: number): Plugin<Context> {
  const rules = validationRules(limits);
  const tokenLimited = tokenLimitedParse(limits.tokens);
  /** The result that refuses the operation (page size, text, cost), if it is refused. */
  const refused = (args: ExecutionArgs): ExecutionResult | undefined => {
    const pageError = malformedTextError(args) ?? listArgumentError(args, maxPageSize);
    // As when a resolver refuses it: the field fails, so `data` is null.
    if (pageError) return { data: null, errors: [pageError] };
    const cost = costOf(args);
    if (cost !== undefined && cost > limits.complexity) {
      return {
        errors: [
          refusal(
            "QUERY_TOO_COMPLEX",
            `Query cost limit exceeded: the operation costs ${cost}; at most ${limits.complexity} is allowed. Every field costs 1, and the selection below a list once per item it may return (\`first\`, or the default page size): ask for fewer items or fewer nested lists.`,
            limits.complexity,
            cost,
          ),
        ],
      };
    }
    return undefined;
  };
  return {
    onParse({ setParseFn }) {
      setParseFn(tokenLimited);
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
      if (limits.introspection) return undefined;
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map(withoutSuggestions));
      };
    },
    // A subscription is not executed but subscribed to: the same checks, before it opens (each of
    // its events is then the same selection, so what the operation costs is what every event costs).
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusedResult = refused(args);
      if (refusedResult) setResultAndStopExecution(refusedResult);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refusedResult = refused(args);
      if (refusedResult) {
        setResultAndStopExecution(refusedResult);
        return;
      }
      if (limits.introspection) return;
      // The variables' coercion errors ("Field "uiNme" is not defined ... Did you mean ...?").
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map(withoutSuggestions) });
        },
      };
    },
  };
}
