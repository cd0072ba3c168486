import { describeSeedClaims } from "../../../test/helpers/seed-claims.js";
import { dnsFilterClaims } from "./claims.js";

describeSeedClaims(dnsFilterClaims);
