/** "675.7 MB": decimal units, as Hugging Face and disk vendors print sizes, so the numbers match theirs. */
export function formatBytes(bytes: number): string {
    if (!Number.isFinite(bytes)) return "?";
    const units = ["B", "kB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (Math.abs(value) >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
