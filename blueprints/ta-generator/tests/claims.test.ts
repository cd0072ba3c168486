import { describeSeedClaims } from "../../../test/helpers/seed-claims.js";
import { taGeneratorClaims } from "./claims.js";

describeSeedClaims(taGeneratorClaims);
