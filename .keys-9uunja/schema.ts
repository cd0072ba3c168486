import { col, schema, table } from "plinth/schema";
export default schema({
  member: table("member", { id: col.id(), name: col.varchar(40), totpSecret: col.encrypted().nullable() }),
});
