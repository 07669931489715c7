// Word lists for `local/article`: stop words, abbreviations, titles, given names, place words,
// concrete nouns and the other English lists, and the character classes text is read with.

extension ArticleScript {
    // MARK: - Word lists

    /// The English word lists the producer knows, and character classes it reads text with.
    enum Lexicon {
        /// The text without whitespace at either end.
        static func trimmed(_ s: Substring) -> String {
            var s = s.unicodeScalars[...]
            while let c = s.first, isSpace(c) { s = s.dropFirst() }
            while let c = s.last, isSpace(c) { s = s.dropLast() }
            return String(s)
        }

        static func isSpace(_ c: Unicode.Scalar) -> Bool {
            c == " " || c == "\n" || c == "\t" || c == "\r" || (!c.isASCII && c.properties.isWhitespace)
        }

        static func isLetterOrDigit(_ c: Unicode.Scalar) -> Bool { isLetter(c) || isDigit(c) }

        static func isLetter(_ c: Unicode.Scalar) -> Bool {
            c.isASCII ? (0x41...0x5A).contains(c.value) || (0x61...0x7A).contains(c.value) : c.properties.isAlphabetic
        }

        static func isDigit(_ c: Unicode.Scalar) -> Bool {
            c.isASCII ? (0x30...0x39).contains(c.value) : c.properties.numericType == .decimal
        }

        static func isUppercase(_ c: Unicode.Scalar) -> Bool {
            c.isASCII ? (0x41...0x5A).contains(c.value) : c.properties.isUppercase
        }

        /// Ends a sentence: `.` `!` `?` `…`.
        static func isEnder(_ c: Unicode.Scalar) -> Bool { c == "." || c == "!" || c == "?" || c == "…" }
        /// May follow the end of a sentence: a closing quote or bracket.
        static func isCloser(_ c: Unicode.Scalar) -> Bool { c == "\"" || c == "'" || c == "”" || c == "’" || c == ")" || c == "]" }
        /// May come before the first word of a sentence: an opening quote or bracket.
        static func isOpener(_ c: Unicode.Scalar) -> Bool { c == "\"" || c == "'" || c == "“" || c == "‘" || c == "(" || c == "[" }
        static func isQuote(_ c: Unicode.Scalar) -> Bool { c == "\"" || c == "“" || c == "”" || c == "‘" }

        /// Abbreviations that never end a sentence: they stand before a name or an example.
        static let titleAbbreviations: Set<String> = [
            "mr", "mrs", "ms", "dr", "gen", "lt", "col", "capt", "maj", "sgt", "adm", "gov", "sen", "rep", "rev", "prof",
            "hon", "pres", "cmdr", "brig", "e.g", "i.e", "vs", "cf", "fig", "ft", "mt",
        ]
        /// Abbreviations that may end a sentence.
        static let otherAbbreviations: Set<String> = [
            "st", "etc", "jr", "sr", "inc", "ltd", "co", "corp", "bros", "approx",
            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        ]

        static let stopWords: Set<String> = [
            "a", "about", "above", "after", "again", "against", "all", "almost", "along", "already", "also", "although",
            "always", "am", "among", "an", "and", "another", "any", "are", "around", "as", "at", "be", "became", "because",
            "become", "been", "before", "being", "below", "between", "both", "but", "by", "came", "can", "could", "did", "do",
            "does", "doing", "done", "down", "during", "each", "either", "enough", "even", "ever", "every", "few", "first",
            "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him",
            "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "less", "like",
            "made", "make", "many", "may", "me", "might", "more", "most", "much", "must", "my", "near", "neither", "never",
            "next", "no", "nor", "not", "now", "of", "off", "often", "on", "once", "one", "only", "onto", "or", "other",
            "others", "our", "ours", "out", "over", "own", "per", "perhaps", "quite", "rather", "said", "same", "several",
            "she", "should", "since", "so", "some", "still", "such", "than", "that", "the", "their", "theirs", "them",
            "themselves", "then", "there", "these", "they", "this", "those", "though", "through", "throughout", "thus", "to",
            "too", "toward", "towards", "under", "until", "up", "upon", "us", "very", "was", "we", "were", "what", "when",
            "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without",
            "would", "yet", "you", "your", "yours", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "hundred", "thousand", "million", "billion", "roughly", "nearly", "later", "apart", "away", "back", "together",
            "ago", "aside", "else",
        ]

        /// Opening words that point back to an earlier sentence.
        static let referringBack: Set<String> = [
            "it", "its", "he", "she", "they", "them", "his", "her", "their", "this", "that", "these", "those", "there",
            "then", "still", "but", "and", "also", "however", "yet", "so", "such", "both", "another", "meanwhile",
            "instead", "thus", "hence", "here", "others",
        ]

        static let conjunctions: Set<String> = [
            "and", "but", "yet", "so", "or", "while", "whereas", "although", "though", "because", "which", "who", "where",
            "when", "after", "before", "until", "since", "as",
        ]

        /// Openings of an inquiry that are not its topic.
        static let askings = [
            "please", "can you", "could you", "would you", "give me", "tell me about", "tell me", "talk about", "explain",
            "describe", "an overview of", "a summary of", "what was", "what were", "what is", "what are", "who was",
            "who were", "who is",
        ]

        /// Words naming a law, a party, an office or the like.
        static let abstractNameWords: Set<String> = [
            "act", "acts", "amendment", "bill", "bureau", "code", "codes", "compromise", "constitution", "convention",
            "declaration", "department", "doctrine", "law", "movement", "party", "plan", "policy", "proclamation",
            "program", "reconstruction", "treaty",
        ]

        /// Prepositions before a place that a picture can keep (not `from`, `into`, `toward`).
        static let pictorialPrepositions: Set<String> = ["at", "in", "near", "along"]

        /// Words before a noun phrase: articles and possessives.
        static let themeOpeners: Set<String> = ["a", "an", "the", "his", "her", "its", "their", "our", "this", "that", "these", "those"]

        /// Plurals not made with an `s`.
        static let pluralNouns: Set<String> = ["men", "women", "children", "people", "cattle", "freedpeople"]

        static let months: Set<String> = [
            "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
            "december",
        ]
        static let days: Set<String> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

        /// Titles before a name, lowercased; dropped from the name, and marking a person.
        static let nameTitles: Set<String> = [
            "general", "gen", "president", "vice", "lieutenant", "lt", "colonel", "col", "captain", "capt", "major", "maj",
            "admiral", "adm", "commodore", "sergeant", "sgt", "corporal", "governor", "gov", "senator", "sen",
            "congressman", "congresswoman", "secretary", "chancellor", "minister", "king", "queen", "prince", "princess",
            "emperor", "empress", "pope", "bishop", "reverend", "rev", "mr", "mrs", "ms", "miss", "dr", "doctor", "sir",
            "dame", "lady", "lord", "professor", "prof", "judge", "mayor", "sheriff",
        ]

        /// Words joining the parts of a name: `Army of the Potomac`, `Leonardo da Vinci`.
        static let connectors: Set<String> = ["of", "the", "de", "da", "di", "del", "du", "la", "le", "von", "van", "der", "den"]
        static let determiners: Set<String> = ["the", "a", "an"]
        static let placePrepositions: Set<String> = [
            "at", "in", "near", "into", "across", "through", "toward", "towards", "outside", "inside", "around", "along", "from",
        ]
        static let placeWords: Set<String> = [
            "fort", "fortress", "harbor", "harbour", "river", "creek", "bay", "lake", "island", "isle", "mountain",
            "mountains", "mount", "mt", "hill", "hills", "valley", "county", "city", "court", "house", "street", "avenue",
            "square", "park", "bridge", "church", "cathedral", "castle", "palace", "theatre", "theater", "station", "ocean",
            "sea", "gulf", "canyon", "falls", "desert", "forest", "port", "cape", "springs", "tower", "temple", "abbey",
            "ridge", "plains", "hospital", "university", "college", "cemetery", "capitol",
        ]

        static let givenNames: Set<String> = [
            "Abraham", "Adam", "Albert", "Alexander", "Alfred", "Andrew", "Ann", "Anna", "Anne", "Anthony", "Arthur",
            "Benjamin", "Catherine", "Charles", "Charlotte", "Clara", "Daniel", "David", "Dorothea", "Edward", "Eleanor",
            "Elizabeth", "Emily", "Emma", "Frances", "Francis", "Frank", "Frederick", "George", "Harriet", "Harry",
            "Helen", "Henry", "Isaac", "Jacob", "James", "Jane", "Jefferson", "John", "Joseph", "Julia", "Louis", "Louisa",
            "Margaret", "Maria", "Marie", "Martha", "Martin", "Mary", "Michael", "Nathan", "Nathaniel", "Paul", "Peter",
            "Philip", "Richard", "Robert", "Samuel", "Sarah", "Sojourner", "Susan", "Theodore", "Thomas", "Walter",
            "William", "Winfield",
        ]

        /// Nouns a camera can show, in the singular form the scorer counts them under.
        static let concreteNouns: Set<String> = [
            // people
            "man", "men", "woman", "women", "child", "children", "people", "soldier", "troop", "army", "navy", "fleet",
            "cavalry", "infantry", "regiment", "garrison", "crowd", "family", "farmer", "worker", "sailor", "officer",
            "general", "president", "volunteer", "prisoner", "refugee", "citizen", "crew", "leader", "king", "queen",
            "actor", "audience", "doctor", "nurse", "student", "teacher", "miner", "slave", "freedpeople", "laborer",
            "priest", "monk", "knight", "merchant", "pilgrim", "explorer", "scientist", "engineer", "pilot", "astronaut",
            // war and tools
            "cannon", "artillery", "battery", "gun", "rifle", "musket", "sword", "bayonet", "flag", "banner", "uniform",
            "tent", "camp", "fort", "fortress", "trench", "wall", "gate", "barricade", "battlefield", "ship", "boat",
            "steamboat", "gunboat", "warship", "train", "railroad", "rail", "locomotive", "wagon", "carriage", "horse",
            "mule", "cart", "helmet", "shield", "armor", "crown", "throne", "coin", "gold", "silver", "tool", "plow",
            "hammer", "anvil", "lantern", "lamp", "candle", "telescope", "machine", "engine", "car", "plane", "airplane",
            "rocket", "tank", "bomb", "telegraph", "camera",
            // places and buildings
            "bridge", "road", "street", "river", "creek", "harbor", "port", "coast", "sea", "ocean", "shore", "beach",
            "island", "lake", "mountain", "hill", "valley", "field", "farm", "plantation", "forest", "wood", "tree",
            "garden", "city", "town", "village", "capital", "house", "home", "parlor", "room", "hall", "theatre",
            "theater", "church", "cathedral", "cemetery", "grave", "monument", "statue", "school", "factory", "mill",
            "market", "shop", "courthouse", "capitol", "palace", "castle", "tower", "station", "depot", "warehouse",
            "barn", "cabin", "prison", "hospital", "desert", "swamp", "canyon", "cave", "ruin", "temple",
            "pyramid", "dock", "wharf", "lighthouse", "porch",
            // things and nature
            "cotton", "crop", "wheat", "corn", "tobacco", "sugar", "supply", "food", "bread", "fire", "smoke", "flame",
            "rain", "snow", "storm", "sky", "sun", "moon", "star", "dawn", "sunset", "night", "cloud", "wave", "ice",
            "dog", "cattle", "bird", "fish", "whale", "animal", "flower", "stone", "rock", "desk", "table", "chair",
            "bed", "window", "door", "stage", "box", "barrel", "chain",
        ]
    }
}
