/** A check unit (the objects of one cluster) and how rendered objects' sources are reported. */
import * as path from "path";
import { ObjectSource } from "../gitops/render";
import { SourcedObject } from "../policies/rules";
import { ManifestSource } from "./load";

/** The objects of one cluster, checked together. */
export interface CheckUnit {
    /** The kustomization root (or Flux sync path) rendered; undefined for files and stdin read as written. */
    readonly root?: string;
    /** How the objects were obtained, for the report: `rendered with kubectl kustomize (/usr/bin/kubectl)`. */
    readonly how?: string;
    /** The objects, with where each was declared. */
    readonly objects: SourcedObject<ManifestSource>[];
    /**
     * For a Flux tree: the objects are one cluster, judged together, but each finding is reported
     * under the part (Flux Kustomization) whose objects hold its source.
     */
    readonly parts?: readonly { readonly root: string; readonly how: string; readonly sources: ReadonlySet<ManifestSource> }[];
    /** True when post-build variables were already applied where Flux applies them (a Flux tree). */
    readonly substituted?: boolean;
}

/** How a rendered file is named: relative to the working directory, as a user would type it. */
export function displayPath(file: string): string {
    return /^[a-z]+:\/\//.test(file) || !path.isAbsolute(file) ? file : path.relative(process.cwd(), file) || ".";
}

/** A rendered object's source as the checker reports it; an object kustomize made itself names its kustomization file. */
export function manifestSource(source: ObjectSource): ManifestSource {
    if (source.file === undefined) {
        return { file: `${source.root} (rendered)` };
    }
    return source.line === undefined ? { file: displayPath(source.file) } : { file: displayPath(source.file), line: source.line };
}
