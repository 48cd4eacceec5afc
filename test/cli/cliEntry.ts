// Runs the CLI from source (through tsx), so CLI tests need no `npm run build`.
import {main} from "../../src/cli/main.js";

await main(process.argv);
