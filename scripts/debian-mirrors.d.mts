export declare const DEBIAN_CDN: string;
export declare function debianMirrors(sources: ReadonlyArray<{ path: string; text: string }>): string[];
