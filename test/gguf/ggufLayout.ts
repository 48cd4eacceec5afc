// Where each field of a valid GGUF file lies, so the fuzz test can damage one field at a time.
// Only for files this project writes (the fuzz base), so the walk trusts the bytes it reads.

export type GgufField = {
    /** e.g. "header.n_tensors", "kv[3].string_length", "tensor[5].dim[1]" */
    name: string,
    offset: number,
    size: 4 | 8,
    /** metadata key the field belongs to, for value fields */
    key?: string
};

export type GgufLayout = {
    fields: GgufField[],
    /** start of each key-value and each tensor info: where truncation cuts a region in two */
    regionStarts: number[],
    dataStart: number,
    /** [start, end) of each tensor's data */
    tensorData: [number, number][]
};

const scalarSizes: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};

export function ggufLayout(bytes: Buffer, tensorBytes: (type: number, elements: number) => number): GgufLayout {
    const fields: GgufField[] = [];
    const regionStarts: number[] = [];
    let pos = 0;
    const field = (name: string, size: 4 | 8, key?: string) => {
        fields.push({name, offset: pos, size, key});
        const v = size === 4 ? bytes.readUInt32LE(pos) : Number(bytes.readBigUInt64LE(pos));
        pos += size;
        return v;
    };
    const string = (name: string) => { const n = field(name, 8); const s = bytes.toString("utf8", pos, pos + n); pos += n; return s; };
    pos = 4;  // after the magic
    field("header.version", 4);
    const nTensors = field("header.n_tensors", 8);
    const nKv = field("header.n_kv", 8);
    let alignment = 32;
    for (let k = 0; k < nKv; k++) {
        regionStarts.push(pos);
        const key = string(`kv[${k}].key_length`);
        const type = field(`kv[${k}].type`, 4, key);
        if (type === 8) string(`kv[${k}].string_length`);
        else if (type === 9) {
            const itemType = field(`kv[${k}].item_type`, 4, key);
            const n = field(`kv[${k}].count`, 8, key);
            for (let i = 0; i < n; i++) {
                if (itemType === 8) {
                    if (i < 2) string(`kv[${k}].item[${i}].length`);
                    else pos += 8 + Number(bytes.readBigUInt64LE(pos));
                } else pos += scalarSizes[itemType]!;
            }
        } else {
            const size = scalarSizes[type]!;
            if (size === 4 || size === 8) {
                const v = field(`kv[${k}].value`, size, key);
                if (key === "general.alignment") alignment = v;
            } else pos += size;
        }
    }
    const infos: {type: number, elements: number, offset: number}[] = [];
    for (let t = 0; t < nTensors; t++) {
        regionStarts.push(pos);
        string(`tensor[${t}].name_length`);
        const nDims = field(`tensor[${t}].n_dims`, 4);
        let elements = 1;
        for (let d = 0; d < nDims; d++) elements *= field(`tensor[${t}].dim[${d}]`, 8);
        const type = field(`tensor[${t}].type`, 4);
        const offset = field(`tensor[${t}].offset`, 8);
        infos.push({type, elements, offset});
    }
    const dataStart = Math.ceil(pos / alignment) * alignment;
    regionStarts.push(dataStart);
    const tensorData = infos.map((t): [number, number] => [dataStart + t.offset, dataStart + t.offset + tensorBytes(t.type, t.elements)]);
    return {fields, regionStarts, dataStart, tensorData};
}
