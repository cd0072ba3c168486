import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from "kysely";

/**
 * Records the statements a database handle sends (connect(..., { plugins: [counter] })), so a test
 * can prove how many queries an operation costs. With `matches`, only those statements count.
 */
export class StatementCounter implements KyselyPlugin {
  kinds: string[] = [];
  constructor(private readonly matches: (node: RootOperationNode) => boolean = () => true) {}

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (this.matches(node)) this.kinds.push(node.kind);
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
  reset(): void {
    this.kinds = [];
  }
  /** The statements counted since the last reset, or only those of one kind (`"SelectQueryNode"`). */
  count(kind?: string): number {
    return kind ? this.kinds.filter((k) => k === kind).length : this.kinds.length;
  }
}
