// A link whose session is over (sent, cancelled, expired): drop any scan pages kept for it.
import { forget } from "./scan-saved.js";

forget();
