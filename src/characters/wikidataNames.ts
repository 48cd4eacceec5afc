/**
 * Classes (P31 "instance of") that make an entity a character: real humans and the common kinds of
 * fictional ones. The paper used humans and fictional humans; the others widen it to characters
 * people actually role-play.
 */
export const characterClasses: Record<string, "real person" | "fictional character"> = {
    Q5: "real person",                 // human
    Q15632617: "fictional character",  // fictional human
    Q95074: "fictional character",     // fictional character
    Q3658341: "fictional character",   // literary character
    Q15773347: "fictional character",  // film character
    Q15773317: "fictional character",  // television character
    Q1114461: "fictional character",   // comics character
    Q4271324: "fictional character",   // mythical character
    Q21070568: "real person"           // human who may be fictional
};

/** Properties worth telling a character about, with the names claims are verbalised under ("property: value"). */
export const propertyNames: Record<string, string> = {
    P21: "sex or gender", P27: "country of citizenship", P19: "place of birth", P20: "place of death",
    P569: "date of birth", P570: "date of death", P106: "occupation", P39: "position held", P69: "educated at",
    P108: "employer", P101: "field of work", P166: "award received", P800: "notable work", P1412: "languages spoken, written or signed",
    P102: "member of political party", P140: "religion or worldview", P26: "spouse", P22: "father", P25: "mother",
    P3373: "sibling", P40: "child", P737: "influenced by", P135: "movement", P136: "genre", P463: "member of",
    P1344: "participant in", P937: "work location", P551: "residence", P1441: "present in work", P170: "creator",
    P175: "performer", P1080: "from narrative universe", P1050: "medical condition", P241: "military branch",
    P410: "military rank", P54: "member of sports team", P413: "position played on team", P1303: "instrument",
    P264: "record label", P184: "doctoral advisor", P185: "doctoral student", P802: "student", P1066: "student of"
};
