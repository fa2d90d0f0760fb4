/** The shape rule functions return; the engine adds the configured severity. */
import { Finding } from "./types";

/** A finding before its severity is known. */
export type DraftFinding<S> = Omit<Finding<S>, "severity">;
