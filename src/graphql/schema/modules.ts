// Every schema module, in one place: importing this file declares the whole API on the builder.
// Domain types are added here, one module per type (image.ts, container.ts, …).
import '../scalars.ts';
import '../errors.ts';
import './root.ts';
import './serverInfo.ts';
import './time.ts';
import './event.ts';
import './fileEntry.ts';
import './layer.ts';
import './image.ts';
import './container.ts';
import './session.ts';
import './diskUsage.ts';
import './exec.ts';
import './pull.ts';
import './transfer.ts';
import './cli.ts';
