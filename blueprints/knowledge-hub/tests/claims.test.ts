import { describeSeedClaims } from "../../../test/helpers/seed-claims.js";
import { knowledgeHubClaims } from "./claims.js";

describeSeedClaims(knowledgeHubClaims);
