#include "generate/pii_records.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <span>
#include <unordered_set>
#include <vector>

#include "common/csv.h"
#include "generate/rng.h"

namespace holo::generate {
namespace {

// ---------------------------------------------------------------------------
// Reference data. Names carry their other spellings: `variants` are
// transliterations or forms without diacritics, `nicknames` what people and
// clerks shorten them to (both '|'-separated; the first spelling is the one
// on the person's papers).

struct NameEntry {
  const char* name;
  const char* variants;
  const char* nicknames;
};

constexpr NameEntry kMaleNames[] = {
    {"James", "", "Jim|Jimmy|Jamie"},
    {"Robert", "", "Rob|Bob|Bobby"},
    {"John", "Jon", "Johnny|Jack"},
    {"Michael", "Micheal", "Mike|Mick"},
    {"David", "", "Dave"},
    {"William", "", "Will|Bill|Billy"},
    {"Richard", "", "Rick|Rich|Dick"},
    {"Joseph", "", "Joe|Joey"},
    {"Thomas", "", "Tom|Tommy"},
    {"Christopher", "Kristopher", "Chris"},
    {"Charles", "", "Charlie|Chuck"},
    {"Daniel", "", "Dan|Danny"},
    {"Matthew", "Mathew", "Matt"},
    {"Anthony", "Antony", "Tony"},
    {"Mark", "Marc", ""},
    {"Donald", "", "Don|Donnie"},
    {"Steven", "Stephen", "Steve"},
    {"Andrew", "", "Andy|Drew"},
    {"Paul", "", ""},
    {"Joshua", "", "Josh"},
    {"Kenneth", "", "Ken|Kenny"},
    {"Kevin", "", ""},
    {"Brian", "Bryan", ""},
    {"George", "", ""},
    {"Timothy", "", "Tim"},
    {"Ronald", "", "Ron|Ronnie"},
    {"Edward", "", "Ed|Eddie|Ted"},
    {"Jason", "", ""},
    {"Jeffrey", "Geoffrey", "Jeff"},
    {"Ryan", "", ""},
    {"Jacob", "Jakob", "Jake"},
    {"Gary", "", ""},
    {"Nicholas", "Nicolas", "Nick"},
    {"Eric", "Erik", ""},
    {"Jonathan", "", "Jon"},
    {"Stephen", "Steven", "Steve"},
    {"Larry", "", ""},
    {"Justin", "", ""},
    {"Scott", "", ""},
    {"Brandon", "", ""},
    {"Benjamin", "", "Ben|Benny"},
    {"Samuel", "", "Sam|Sammy"},
    {"Gregory", "", "Greg"},
    {"Alexander", "Aleksander", "Alex|Sasha"},
    {"Frank", "", "Frankie"},
    {"Patrick", "", "Pat|Paddy"},
    {"Raymond", "", "Ray"},
    {"Jack", "", ""},
    {"Dennis", "", ""},
    {"Jerry", "Gerry", ""},
    {"Tyler", "", ""},
    {"Aaron", "", ""},
    {"Henry", "", "Hank|Harry"},
    {"Peter", "", "Pete"},
    {"Douglas", "", "Doug"},
    {"Nathan", "", "Nate"},
    {"Zachary", "Zachery", "Zach|Zack"},
    {"Walter", "", "Walt"},
    {"Kyle", "", ""},
    {"Harold", "", "Harry|Hal"},
    {"Carl", "Karl", ""},
    {"Arthur", "", "Art"},
    {"Gerald", "", "Gerry|Jerry"},
    {"Roger", "", ""},
    {"Keith", "", ""},
    {"Lawrence", "Laurence", "Larry"},
    {"Terry", "", ""},
    {"Sean", "Shawn|Shaun", ""},
    {"Christian", "", "Chris"},
    {"Albert", "", "Al|Bert"},
    {"Joe", "", ""},
    {"Ethan", "", ""},
    {"Austin", "", ""},
    {"Noah", "", ""},
    {"Logan", "", ""},
    {"Dylan", "Dillon", ""},
    {"Mohammed", "Muhammad|Mohamed|Mohammad", "Mo"},
    {"Ahmed", "Ahmad", ""},
    {"Yusuf", "Youssef|Yousef", ""},
    {"Hussein", "Hussain|Husain", ""},
    {"Omar", "Umar", ""},
    {"Ali", "", ""},
    {"José", "Jose", "Pepe"},
    {"Juan", "", ""},
    {"Luis", "Louis", ""},
    {"Carlos", "", ""},
    {"Jesús", "Jesus", "Chuy"},
    {"Miguel", "", ""},
    {"Alejandro", "", "Alex"},
    {"Aleksandr", "Alexander|Aleksander", "Sasha"},
    {"Dmitry", "Dmitri|Dmitriy", "Dima"},
    {"Sergey", "Sergei|Serguei", ""},
    {"Yuri", "Yury|Iouri", ""},
    {"Vladimir", "Wladimir", "Vlad"},
    {"Jürgen", "Juergen|Jurgen", ""},
    {"François", "Francois", ""},
    {"Søren", "Soren|Sorensen", ""},
    {"Wei", "", ""},
    {"Jun", "", ""},
    {"Hiroshi", "", ""},
    {"Minh", "", ""},
    {"Raj", "", ""},
    {"Arjun", "", ""},
    {"Sanjay", "Sanjai", ""},
    {"Kwame", "", ""},
    {"Chukwuemeka", "", "Emeka"},
    {"Oluwaseun", "", "Seun"},
};

constexpr NameEntry kFemaleNames[] = {
    {"Mary", "Marie", ""},
    {"Patricia", "", "Pat|Patty|Trish"},
    {"Jennifer", "", "Jen|Jenny"},
    {"Linda", "", ""},
    {"Elizabeth", "Elisabeth", "Liz|Beth|Betty|Eliza"},
    {"Barbara", "", "Barb"},
    {"Susan", "", "Sue|Susie"},
    {"Jessica", "", "Jess"},
    {"Sarah", "Sara", ""},
    {"Karen", "Caren", ""},
    {"Nancy", "", ""},
    {"Lisa", "Liza", ""},
    {"Margaret", "", "Maggie|Peggy|Meg"},
    {"Betty", "", ""},
    {"Sandra", "", "Sandy"},
    {"Ashley", "", ""},
    {"Dorothy", "", "Dot|Dottie"},
    {"Kimberly", "Kimberley", "Kim"},
    {"Emily", "Emilie", "Em"},
    {"Donna", "", ""},
    {"Michelle", "", "Shelly"},
    {"Carol", "Carole", ""},
    {"Amanda", "", "Mandy"},
    {"Melissa", "", "Mel|Missy"},
    {"Deborah", "Debra", "Deb|Debbie"},
    {"Stephanie", "", "Steph"},
    {"Rebecca", "Rebekah", "Becky|Becca"},
    {"Laura", "", ""},
    {"Sharon", "", ""},
    {"Cynthia", "", "Cindy"},
    {"Kathleen", "", "Kathy|Kate"},
    {"Amy", "Aimee", ""},
    {"Shirley", "", ""},
    {"Angela", "", "Angie"},
    {"Helen", "Helene", ""},
    {"Anna", "Ana", "Annie"},
    {"Brenda", "", ""},
    {"Pamela", "", "Pam"},
    {"Nicole", "", "Nikki"},
    {"Samantha", "", "Sam|Sammy"},
    {"Katherine", "Catherine|Kathryn", "Kate|Katie|Kathy"},
    {"Emma", "", ""},
    {"Ruth", "", ""},
    {"Christine", "Kristine", "Chris|Chrissy"},
    {"Catherine", "Katherine|Kathryn", "Cathy|Kate"},
    {"Debra", "Deborah", "Deb"},
    {"Rachel", "Rachael", ""},
    {"Carolyn", "", ""},
    {"Janet", "", "Jan"},
    {"Virginia", "", "Ginny"},
    {"Maria", "María", ""},
    {"Heather", "", ""},
    {"Diane", "Dianne", ""},
    {"Julie", "", ""},
    {"Joyce", "", ""},
    {"Victoria", "", "Vicky|Tori"},
    {"Olivia", "", "Liv"},
    {"Kelly", "Kelley", ""},
    {"Christina", "Kristina", "Tina"},
    {"Lauren", "", ""},
    {"Joan", "", ""},
    {"Evelyn", "", "Evie"},
    {"Judith", "", "Judy"},
    {"Megan", "Meghan", "Meg"},
    {"Cheryl", "", ""},
    {"Andrea", "", ""},
    {"Hannah", "Hanna", ""},
    {"Martha", "", ""},
    {"Jacqueline", "", "Jackie"},
    {"Frances", "", "Fran"},
    {"Gloria", "", ""},
    {"Ann", "Anne", ""},
    {"Teresa", "Theresa", "Terry|Tess"},
    {"Kathryn", "Katherine", "Kate"},
    {"Sophia", "Sofia", "Sophie"},
    {"Isabella", "", "Bella|Izzy"},
    {"Abigail", "", "Abby"},
    {"Alexandra", "", "Alex|Sasha"},
    {"Madison", "", "Maddie"},
    {"Zoë", "Zoe", ""},
    {"Chloé", "Chloe", ""},
    {"Renée", "Renee", ""},
    {"Fatima", "Fatimah|Fatma", ""},
    {"Aisha", "Ayesha|Aysha", ""},
    {"Mariam", "Maryam|Miriam", ""},
    {"Yekaterina", "Ekaterina|Katerina", "Katya"},
    {"Natalia", "Natalya|Nataliya", "Natasha"},
    {"Olga", "", ""},
    {"Svetlana", "", "Sveta"},
    {"Guadalupe", "", "Lupe"},
    {"Sofía", "Sofia", ""},
    {"Lucía", "Lucia", ""},
    {"Xiaoming", "Xiao Ming", ""},
    {"Mei", "May", ""},
    {"Yuki", "", ""},
    {"Priya", "", ""},
    {"Ananya", "", ""},
    {"Ngozi", "", ""},
    {"Amara", "", ""},
};

constexpr NameEntry kSurnames[] = {
    {"Smith", "", ""},
    {"Johnson", "Johnsen", ""},
    {"Williams", "", ""},
    {"Brown", "Browne", ""},
    {"Jones", "", ""},
    {"Garcia", "García", ""},
    {"Miller", "", ""},
    {"Davis", "Davies", ""},
    {"Rodriguez", "Rodríguez", ""},
    {"Martinez", "Martínez", ""},
    {"Hernandez", "Hernández", ""},
    {"Lopez", "López", ""},
    {"Gonzalez", "González|Gonzales", ""},
    {"Wilson", "", ""},
    {"Anderson", "Andersen", ""},
    {"Thomas", "", ""},
    {"Taylor", "Tailor", ""},
    {"Moore", "More", ""},
    {"Jackson", "", ""},
    {"Martin", "", ""},
    {"Lee", "Li", ""},
    {"Perez", "Pérez", ""},
    {"Thompson", "Thomson", ""},
    {"White", "", ""},
    {"Harris", "", ""},
    {"Sanchez", "Sánchez", ""},
    {"Clark", "Clarke", ""},
    {"Ramirez", "Ramírez", ""},
    {"Lewis", "", ""},
    {"Robinson", "", ""},
    {"Walker", "", ""},
    {"Young", "", ""},
    {"Allen", "Allan", ""},
    {"King", "", ""},
    {"Wright", "", ""},
    {"Scott", "", ""},
    {"Torres", "", ""},
    {"Nguyen", "Nguyễn|Ngyuen", ""},
    {"Hill", "", ""},
    {"Flores", "", ""},
    {"Green", "Greene", ""},
    {"Adams", "", ""},
    {"Nelson", "Nielsen", ""},
    {"Baker", "", ""},
    {"Hall", "", ""},
    {"Rivera", "", ""},
    {"Campbell", "", ""},
    {"Mitchell", "", ""},
    {"Carter", "", ""},
    {"Roberts", "", ""},
    {"Gomez", "Gómez", ""},
    {"Phillips", "Philips", ""},
    {"Evans", "", ""},
    {"Turner", "", ""},
    {"Diaz", "Díaz", ""},
    {"Parker", "", ""},
    {"Cruz", "", ""},
    {"Edwards", "", ""},
    {"Collins", "", ""},
    {"Reyes", "", ""},
    {"Stewart", "Stuart", ""},
    {"Morris", "", ""},
    {"Morales", "", ""},
    {"Murphy", "", ""},
    {"Cook", "Cooke", ""},
    {"Rogers", "", ""},
    {"Gutierrez", "Gutiérrez", ""},
    {"Ortiz", "", ""},
    {"Morgan", "", ""},
    {"Cooper", "", ""},
    {"Peterson", "Petersen", ""},
    {"Bailey", "", ""},
    {"Reed", "Reid", ""},
    {"Kelly", "Kelley", ""},
    {"Howard", "", ""},
    {"Ramos", "", ""},
    {"Kim", "", ""},
    {"Cox", "", ""},
    {"Ward", "", ""},
    {"Richardson", "", ""},
    {"Watson", "", ""},
    {"Brooks", "", ""},
    {"Chavez", "Chávez", ""},
    {"Wood", "Woods", ""},
    {"James", "", ""},
    {"Bennett", "Bennet", ""},
    {"Gray", "Grey", ""},
    {"Mendoza", "", ""},
    {"Ruiz", "", ""},
    {"Hughes", "", ""},
    {"Price", "", ""},
    {"Alvarez", "Álvarez", ""},
    {"Castillo", "", ""},
    {"Sanders", "", ""},
    {"Patel", "", ""},
    {"Myers", "Meyers", ""},
    {"Long", "", ""},
    {"Ross", "", ""},
    {"Foster", "", ""},
    {"Jimenez", "Jiménez", ""},
    {"Powell", "", ""},
    {"Jenkins", "", ""},
    {"Perry", "", ""},
    {"Russell", "Russel", ""},
    {"Sullivan", "", ""},
    {"Bell", "", ""},
    {"Coleman", "", ""},
    {"Butler", "", ""},
    {"Henderson", "", ""},
    {"Barnes", "", ""},
    {"Gonzales", "Gonzalez", ""},
    {"Fisher", "Fischer", ""},
    {"Vasquez", "Vásquez|Vazquez", ""},
    {"Simmons", "", ""},
    {"Romero", "", ""},
    {"Jordan", "", ""},
    {"Patterson", "", ""},
    {"Alexander", "", ""},
    {"Hamilton", "", ""},
    {"Graham", "", ""},
    {"Reynolds", "", ""},
    {"Griffin", "", ""},
    {"Wallace", "", ""},
    {"Moreno", "", ""},
    {"West", "", ""},
    {"Cole", "", ""},
    {"Hayes", "Hays", ""},
    {"Bryant", "", ""},
    {"Herrera", "", ""},
    {"Gibson", "", ""},
    {"Ellis", "", ""},
    {"Tran", "", ""},
    {"Medina", "", ""},
    {"Aguilar", "", ""},
    {"Stevens", "Stephens", ""},
    {"Murray", "", ""},
    {"Ford", "", ""},
    {"Castro", "", ""},
    {"Marshall", "", ""},
    {"Owens", "", ""},
    {"Harrison", "", ""},
    {"Fernandez", "Fernández", ""},
    {"McDonald", "MacDonald|Mc Donald", ""},
    {"O'Brien", "OBrien|O Brien", ""},
    {"O'Connor", "OConnor|O Connor", ""},
    {"Müller", "Mueller|Muller", ""},
    {"Schröder", "Schroeder|Schroder", ""},
    {"Wang", "", ""},
    {"Zhang", "Chang", ""},
    {"Chen", "Chan", ""},
    {"Liu", "Lau", ""},
    {"Huang", "Hwang|Wong", ""},
    {"Zhao", "Chao", ""},
    {"Ivanov", "Ivanoff", ""},
    {"Smirnov", "Smirnoff", ""},
    {"Kuznetsov", "Kouznetsov", ""},
    {"Popov", "Popoff", ""},
    {"Khan", "Kahn", ""},
    {"Rahman", "Rehman", ""},
    {"Abdullah", "Abdallah", ""},
    {"Hussain", "Hussein|Husain", ""},
    {"El-Sayed", "Elsayed|Al-Sayed", ""},
    {"Singh", "", ""},
    {"Kumar", "", ""},
    {"Sharma", "", ""},
    {"Okafor", "", ""},
    {"Adeyemi", "", ""},
    {"Tanaka", "", ""},
    {"Yamamoto", "", ""},
    {"Park", "Pak", ""},
    {"Choi", "Choe", ""},
    {"Pham", "", ""},
    {"Le", "Lê", ""},
    {"Peña", "Pena", ""},
    {"Muñoz", "Munoz", ""},
    {"Gonçalves", "Goncalves", ""},
    {"Kowalski", "Kowalsky", ""},
    {"Nowak", "Novak", ""},
    {"Dubois", "Du Bois", ""},
};

struct City {
  const char* name;
  const char* variants;  // other ways people write it
  const char* state;
  int zip_prefix;  // three digits
  int area_codes[2];
  int weight;  // relative population
};

constexpr City kCities[] = {
    {"New York", "New York City|NYC", "NY", 100, {212, 718}, 84},
    {"Los Angeles", "LA", "CA", 900, {213, 323}, 39},
    {"Chicago", "", "IL", 606, {312, 773}, 27},
    {"Houston", "", "TX", 770, {713, 832}, 23},
    {"Phoenix", "", "AZ", 850, {602, 480}, 16},
    {"Philadelphia", "Philly", "PA", 191, {215, 267}, 16},
    {"San Antonio", "", "TX", 782, {210, 210}, 15},
    {"San Diego", "", "CA", 921, {619, 858}, 14},
    {"Dallas", "", "TX", 752, {214, 469}, 13},
    {"San Jose", "", "CA", 951, {408, 408}, 10},
    {"Austin", "", "TX", 787, {512, 737}, 10},
    {"Jacksonville", "", "FL", 322, {904, 904}, 9},
    {"Columbus", "", "OH", 432, {614, 380}, 9},
    {"Charlotte", "", "NC", 282, {704, 980}, 9},
    {"Indianapolis", "Indy", "IN", 462, {317, 317}, 9},
    {"Seattle", "", "WA", 981, {206, 206}, 7},
    {"Denver", "", "CO", 802, {303, 720}, 7},
    {"Boston", "", "MA", 21, {617, 857}, 7},
    {"Nashville", "", "TN", 372, {615, 629}, 7},
    {"Detroit", "", "MI", 482, {313, 313}, 6},
    {"Portland", "", "OR", 972, {503, 971}, 6},
    {"Memphis", "", "TN", 381, {901, 901}, 6},
    {"Louisville", "", "KY", 402, {502, 502}, 6},
    {"Baltimore", "", "MD", 212, {410, 443}, 6},
    {"Milwaukee", "", "WI", 532, {414, 414}, 6},
    {"Albuquerque", "", "NM", 871, {505, 505}, 5},
    {"Tucson", "", "AZ", 857, {520, 520}, 5},
    {"Fresno", "", "CA", 937, {559, 559}, 5},
    {"Sacramento", "", "CA", 958, {916, 279}, 5},
    {"Kansas City", "", "MO", 641, {816, 816}, 5},
    {"Atlanta", "", "GA", 303, {404, 678}, 5},
    {"Omaha", "", "NE", 681, {402, 531}, 5},
    {"Raleigh", "", "NC", 276, {919, 984}, 5},
    {"Miami", "", "FL", 331, {305, 786}, 4},
    {"Minneapolis", "", "MN", 554, {612, 612}, 4},
    {"Tulsa", "", "OK", 741, {918, 918}, 4},
    {"Cleveland", "", "OH", 441, {216, 216}, 4},
    {"Wichita", "", "KS", 672, {316, 316}, 4},
    {"New Orleans", "", "LA", 701, {504, 504}, 4},
    {"Pittsburgh", "Pittsburg", "PA", 152, {412, 878}, 3},
    {"Cincinnati", "", "OH", 452, {513, 513}, 3},
    {"St. Louis", "Saint Louis|St Louis", "MO", 631, {314, 314}, 3},
    {"Buffalo", "", "NY", 142, {716, 716}, 3},
    {"Madison", "", "WI", 537, {608, 608}, 3},
    {"Boise", "", "ID", 837, {208, 986}, 2},
    {"Richmond", "", "VA", 232, {804, 804}, 2},
    {"Salt Lake City", "Salt Lake|SLC", "UT", 841, {801, 385}, 2},
    {"Hartford", "", "CT", 61, {860, 959}, 2},
    {"Providence", "", "RI", 29, {401, 401}, 2},
    {"Springfield", "", "IL", 627, {217, 217}, 2},
};

constexpr const char* kStreetNames[] = {
    "Main",        "Oak",         "Maple",         "Cedar",         "Pine",      "Elm",
    "Washington",  "Lincoln",     "Jefferson",     "Park",          "Lake",      "Hill",
    "Church",      "Mill",        "River",         "Spring",        "Sunset",    "Highland",
    "Forest",      "Meadow",      "Walnut",        "Chestnut",      "Willow",    "Cherry",
    "Franklin",    "Madison",     "Jackson",       "Adams",         "Monroe",    "King",
    "Queen",       "Victoria",    "Albert",        "Station",       "Bridge",    "School",
    "High",        "Green",       "Prospect",      "Ridge",         "Valley",    "Orchard",
    "Birch",       "Poplar",      "Magnolia",      "Dogwood",       "Laurel",    "Hickory",
    "Sycamore",    "Aspen",       "Spruce",        "Harbor",        "Bay",       "Ocean",
    "Beach",       "Broad",       "Market",        "Union",         "Center",    "College",
    "Academy",     "Fairview",    "Pleasant",      "Woodland",      "Lakeview",  "Riverside",
    "Hillside",    "Valley View", "Country Club",  "Mountain View", "Garfield",  "Grant",
    "Roosevelt",   "Kennedy",     "Wilson",        "Hamilton",      "Clinton",   "Cleveland",
    "Harrison",    "Taylor",      "Polk",          "Tyler",         "Pierce",    "Lafayette",
    "Cambridge",   "Oxford",      "Devon",         "Essex",         "Kent",      "Sherwood",
    "Greenwood",   "Rosewood",    "Wildwood",      "Briarwood",     "Brookside", "Creekside",
    "Meadowbrook", "Fox Run",     "Deer Park",     "Eagle",         "Hawthorne", "Juniper",
    "Mulberry",    "Olive",       "Peach",         "Plum",          "Cypress",   "Redwood",
    "Sequoia",     "Palm",        "Vine",          "Ivy",           "Rose",      "Lilac",
    "Tulip",       "Daisy",       "Sunflower",     "Heather",       "Thornton",  "Stratford",
    "Windsor",     "Canterbury",  "Bristol",       "Dover",         "Salem",     "Concord",
    "Lexington",   "Arlington",   "Franklin Park", "Colonial",      "Liberty",   "Independence",
    "Heritage",    "Pioneer",     "Frontier",      "Summit",        "Crest",     "Vista",
    "Horizon",     "Skyline",     "Sunrise",       "Evergreen",     "Timber",    "Stone",
    "Granite",     "Marble",      "Quarry",        "Canal",         "Ferry",     "Dock",
    "Wharf",       "Pier",        "Mission",
};

struct StreetType {
  const char* full;
  const char* abbreviations;  // '|'-separated
};

constexpr StreetType kStreetTypes[] = {
    {"Street", "St|St.|Str"}, {"Avenue", "Ave|Ave.|Av"},   {"Road", "Rd|Rd."},  {"Drive", "Dr|Dr."},
    {"Lane", "Ln|Ln."},       {"Boulevard", "Blvd|Blvd."}, {"Court", "Ct|Ct."}, {"Place", "Pl|Pl."},
    {"Terrace", "Ter|Ter."},  {"Parkway", "Pkwy"},         {"Circle", "Cir"},   {"Way", "Way"},
};
constexpr int kStreetTypeWeights[] = {30, 22, 14, 12, 6, 4, 4, 3, 1, 1, 2, 1};

constexpr const char* kDirections[][2] = {
    {"North", "N"}, {"South", "S"}, {"East", "E"}, {"West", "W"}};

constexpr const char* kEmailDomains[] = {"gmail.com",  "yahoo.com", "outlook.com", "hotmail.com",
                                         "icloud.com", "aol.com",   "comcast.net", "proton.me",
                                         "mail.com",   "att.net",   "verizon.net", "msn.com"};
constexpr int kEmailDomainWeights[] = {45, 14, 10, 8, 8, 4, 3, 2, 2, 2, 1, 1};

struct SourceProfile {
  const char* name;
  int weight;
  // Probability that the touch-point records each field at all:
  // first, last, dob, phone, email, street, postcode, city.
  double present[8];
  // The field the touch-point cannot work without (never dropped as noise):
  // an index into `present`, or -1.
  int key_field;
};

constexpr SourceProfile kSources[] = {
    {"web_shop", 22, {1.0, 1.0, 0.5, 0.7, 1.0, 1.0, 1.0, 1.0}, 4},
    {"mobile_app", 18, {1.0, 1.0, 0.7, 1.0, 1.0, 0.3, 0.5, 0.5}, 3},
    {"loyalty_card", 16, {1.0, 1.0, 1.0, 0.9, 0.7, 1.0, 1.0, 1.0}, 1},
    {"call_centre", 10, {1.0, 1.0, 0.8, 1.0, 0.3, 0.6, 0.9, 0.6}, 3},
    {"newsletter", 10, {0.7, 0.6, 0.2, 0.0, 1.0, 0.0, 0.3, 0.3}, 4},
    {"delivery", 14, {1.0, 1.0, 0.0, 0.9, 0.3, 1.0, 1.0, 1.0}, 5},
    {"in_store", 10, {1.0, 1.0, 0.6, 0.6, 0.4, 0.4, 0.8, 0.8}, 1},
};

// Per-record error rates at one noise level.
struct NoiseRates {
  double missing;    // each recorded field dropped
  double name_typo;  // per name field
  double nickname;
  double transliteration;  // another spelling, when the name has one
  double name_swap;        // first and last name swapped
  double dob_swap;         // day and month swapped (when both <= 12)
  double dob_typo;         // one digit wrong
  double phone_typo;       // one digit wrong or two adjacent digits swapped
  double phone_short;      // a digit or the area code missing
  double second_phone;     // the person's other number, when they have one
  double email_typo;
  double second_email;  // the person's other address, when they have one
  double street_typo;
  double house_typo;   // house number digit wrong
  double old_address;  // the address before the person moved
  double postcode_typo;
  double city_typo;
};

constexpr NoiseRates kNoise[] = {
    // low
    {0.02, 0.015, 0.03, 0.03, 0.005, 0.01, 0.01, 0.01, 0.005, 0.02, 0.01, 0.02, 0.01, 0.003, 0.02,
     0.005, 0.01},
    // medium
    {0.06, 0.05, 0.08, 0.08, 0.02, 0.03, 0.03, 0.04, 0.02, 0.05, 0.03, 0.05, 0.04, 0.01, 0.08, 0.02,
     0.03},
    // high
    {0.15, 0.12, 0.15, 0.15, 0.05, 0.08, 0.08, 0.10, 0.05, 0.10, 0.08, 0.10, 0.10, 0.03, 0.15, 0.05,
     0.08},
};

// Records per person: 1..8.
constexpr double kRecordsPerPerson[] = {30, 25, 18, 12, 7, 4, 2, 2};

// ---------------------------------------------------------------------------
// Helpers.

std::vector<std::string> SplitBar(const char* s) {
  std::vector<std::string> out;
  std::string cur;
  for (const char* p = s; *p; ++p) {
    if (*p == '|') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(*p);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Zipf-like weights over a table: the first entries are the most common.
std::vector<double> RankWeights(size_t n, double offset) {
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) w[i] = 1.0 / (static_cast<double>(i) + offset);
  return w;
}

// An ASCII-only rendering of a name, for e-mail addresses: the first ASCII
// variant, else the name with non-ASCII bytes and punctuation dropped.
std::string AsciiName(const NameEntry& e) {
  auto is_ascii = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
  };
  std::string base = e.name;
  if (!is_ascii(base)) {
    for (const std::string& v : SplitBar(e.variants)) {
      if (is_ascii(v)) {
        base = v;
        break;
      }
    }
  }
  std::string out;
  for (char c : base) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
  }
  return out;
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// One typing mistake in the ASCII letters of `s`: a substitution, deletion,
// doubled letter or swap of adjacent letters. Non-ASCII bytes are left alone.
std::string Typo(const std::string& s, Rng& rng) {
  std::vector<size_t> pos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (IsAsciiLetter(s[i])) pos.push_back(i);
  }
  if (pos.size() < 2) return s;
  std::string out = s;
  // Mistakes are rarer in the first letter (people see it).
  size_t k = pos[1 + rng.Below(pos.size() - 1)];
  switch (rng.Below(4)) {
    case 0: {
      char c = static_cast<char>('a' + rng.Below(26));
      if (out[k] >= 'A' && out[k] <= 'Z') c = static_cast<char>(c - 32);
      if (c == out[k]) c = c == 'z' ? 'a' : static_cast<char>(c + 1);
      out[k] = c;
      break;
    }
    case 1:
      out.erase(k, 1);
      break;
    case 2:
      out.insert(k, 1, out[k]);
      break;
    default: {
      size_t j = k + 1 < out.size() && IsAsciiLetter(out[k + 1]) ? k + 1 : k - 1;
      if (out[j] == out[k] || !IsAsciiLetter(out[j])) {
        out.erase(k, 1);
      } else {
        std::swap(out[j], out[k]);
      }
      break;
    }
  }
  return out;
}

// Changes one digit of `s` (or swaps two adjacent digits); other characters stay.
std::string DigitTypo(const std::string& s, Rng& rng) {
  std::vector<size_t> pos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') pos.push_back(i);
  }
  if (pos.empty()) return s;
  std::string out = s;
  size_t p = rng.Below(pos.size());
  if (p + 1 < pos.size() && rng.Chance(0.3) && out[pos[p]] != out[pos[p + 1]]) {
    std::swap(out[pos[p]], out[pos[p + 1]]);
  } else {
    char d = static_cast<char>('0' + rng.Below(9));
    if (d >= out[pos[p]]) ++d;
    out[pos[p]] = d;
  }
  return out;
}

std::string ToUpper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return s;
}

std::string ToLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// ---------------------------------------------------------------------------
// The population.

struct Address {
  int number = 0;
  int direction = -1;  // index into kDirections, -1 for none
  int street = 0;
  int type = 0;
  std::string unit;  // "Apt 4B" or ""
  int city = 0;
  int zip = 0;  // five digits
};

struct Person {
  uint64_t index = 0;
  bool female = false;
  int first = 0;  // index into kMaleNames / kFemaleNames
  int last = 0;   // index into kSurnames
  int year = 0, month = 0, day = 0;
  std::string phones[2];  // ten digits; [1] may be empty
  std::string emails[2];  // [1] may be empty
  Address address, old_address;
  int records = 1;
};

const NameEntry& FirstName(const Person& p) {
  return p.female ? kFemaleNames[p.first] : kMaleNames[p.first];
}

class Population {
 public:
  explicit Population(uint64_t seed)
      : seed_(seed),
        male_weights_(RankWeights(std::size(kMaleNames), 12)),
        female_weights_(RankWeights(std::size(kFemaleNames), 12)),
        surname_weights_(RankWeights(std::size(kSurnames), 12)) {
    for (const City& c : kCities) city_weights_.push_back(c.weight);
  }

  // Appends the members of household `h` to `out`.
  void Household(uint64_t h, std::vector<Person>* out) {
    Rng rng(Mix(Mix(seed_, 0x70696931), h));  // "pii1"
    const size_t size = 1 + rng.Weighted({45, 30, 13, 8, 4});
    Address home = RandomAddress(rng);
    const int family_name = PickSurname(rng);
    const size_t first_member = out->size();
    for (size_t k = 0; k < size; ++k) {
      Person p;
      p.index = next_person_++;
      p.female = rng.Chance(0.51);
      p.first = PickFirst(rng, p.female);
      p.last = k == 0 || rng.Chance(0.75) ? family_name : PickSurname(rng);
      RandomBirthDate(rng, &p);
      p.address = home;
      if (k > 0 && rng.Chance(0.3)) p.address.unit = home.unit;  // same flat
      const Person* first = k > 0 ? &(*out)[first_member] : nullptr;
      if (first != nullptr && rng.Chance(0.005)) {
        // A twin: same birth date and surname, another first name.
        p.year = first->year, p.month = first->month, p.day = first->day;
        p.last = first->last;
        while (p.female == first->female && p.first == first->first) {
          p.first = PickFirst(rng, p.female);
        }
      } else if (first != nullptr && rng.Chance(0.005)) {
        // A namesake child ("Jr."): same first and last name, 20-40 years younger.
        p.female = first->female;
        p.first = first->first;
        p.last = first->last;
        p.year = std::min(2007, first->year + static_cast<int>(rng.Range(20, 40)));
      }
      p.old_address = RandomAddress(rng);
      Contacts(rng, &p);
      p.records = 1 + static_cast<int>(rng.Weighted(std::span<const double>(kRecordsPerPerson)));
      out->push_back(std::move(p));
    }
  }

 private:
  int PickFirst(Rng& rng, bool female) {
    return static_cast<int>(female ? rng.Weighted(std::span<const double>(female_weights_))
                                   : rng.Weighted(std::span<const double>(male_weights_)));
  }
  int PickSurname(Rng& rng) {
    return static_cast<int>(rng.Weighted(std::span<const double>(surname_weights_)));
  }

  Address RandomAddress(Rng& rng) {
    Address a;
    a.city = static_cast<int>(rng.Weighted(std::span<const double>(city_weights_)));
    a.zip = kCities[a.city].zip_prefix * 100 + static_cast<int>(rng.Below(60));
    a.number = static_cast<int>(rng.Chance(0.7) ? rng.Range(1, 2999) : rng.Range(3000, 19999));
    a.direction = rng.Chance(0.25) ? static_cast<int>(rng.Below(4)) : -1;
    a.street = static_cast<int>(rng.Below(std::size(kStreetNames)));
    a.type = static_cast<int>(
        rng.Weighted(std::span<const int>(kStreetTypeWeights, std::size(kStreetTypeWeights))));
    if (rng.Chance(0.2)) {
      a.unit = (rng.Chance(0.7) ? "Apt " : "Unit ") + std::to_string(rng.Range(1, 40));
      if (rng.Chance(0.3)) a.unit.push_back(static_cast<char>('A' + rng.Below(6)));
    }
    return a;
  }

  void RandomBirthDate(Rng& rng, Person* p) {
    p->year = static_cast<int>(rng.Range(1938, 2007));
    p->month = static_cast<int>(rng.Range(1, 12));
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    p->day = static_cast<int>(rng.Range(1, kDays[p->month - 1]));
  }

  void Contacts(Rng& rng, Person* p) {
    // Phones: a local number unique per person for up to 4M persons (a keyed
    // permutation), in an area code of the person's city.
    const City& city = kCities[p->address.city];
    for (int k = 0; k < 2; ++k) {
      if (k == 1 && !rng.Chance(0.3)) break;
      const uint64_t local =
          2000000 + Permute((p->index * 2 + k) % 8000000, 8000000, seed_ ^ 0x5a17);
      const int area = city.area_codes[rng.Below(2)];
      char buf[16];
      std::snprintf(buf, sizeof(buf), "%03d%07llu", area, static_cast<unsigned long long>(local));
      p->phones[k] = buf;
    }
    // E-mails from the name, unique across the population.
    const std::string first = AsciiName(FirstName(*p));
    const std::string last = AsciiName(kSurnames[p->last]);
    for (int k = 0; k < 2; ++k) {
      if (k == 1 && !rng.Chance(0.35)) break;
      std::string local;
      switch (rng.Weighted({30, 15, 15, 10, 10, 10, 10})) {
        case 0:
          local = first + "." + last;
          break;
        case 1:
          local = first + last;
          break;
        case 2:
          local = first.substr(0, 1) + last;
          break;
        case 3:
          local = first + "_" + last;
          break;
        case 4:
          local = last + "." + first;
          break;
        case 5:
          local = first + last.substr(0, 1);
          break;
        default:
          local = first.substr(0, 1) + "." + last;
          break;
      }
      if (rng.Chance(0.5)) {
        local += rng.Chance(0.5) ? std::to_string(p->year % 100 + 100).substr(1)
                                 : std::to_string(rng.Range(1, 999));
      }
      const char* domain = kEmailDomains[rng.Weighted(
          std::span<const int>(kEmailDomainWeights, std::size(kEmailDomainWeights)))];
      std::string email = local + "@" + domain;
      while (!emails_.insert(email).second) {
        email = local + std::to_string(rng.Range(1, 9999)) + "@" + domain;
      }
      p->emails[k] = email;
    }
  }

  uint64_t seed_;
  uint64_t next_person_ = 0;
  std::vector<double> male_weights_, female_weights_, surname_weights_, city_weights_;
  std::unordered_set<std::string> emails_;
};

// ---------------------------------------------------------------------------
// How one touch-point writes one person.

class RecordWriter {
 public:
  explicit RecordWriter(const NoiseRates& noise) : n_(noise) {}

  PiiRecord Write(const Person& p, Rng& rng) {
    const SourceProfile& src = kSources[rng.Weighted(SourceWeights())];
    PiiRecord r;
    r.source = src.name;
    r.person_id = "p" + std::to_string(p.index);
    auto present = [&](int field) {
      const bool recorded = rng.Chance(src.present[field]);
      const bool lost = rng.Chance(n_.missing);
      return recorded && (!lost || field == src.key_field);
    };
    const bool upper = std::string_view(src.name) == "call_centre" ||
                       (std::string_view(src.name) == "delivery" && rng.Chance(0.5));
    // Names.
    if (present(0)) r.first_name = FirstNameAsWritten(p, rng);
    if (present(1)) r.last_name = Spelling(kSurnames[p.last], rng);
    if (rng.Chance(n_.name_swap)) std::swap(r.first_name, r.last_name);
    if (upper) {
      r.first_name = ToUpper(r.first_name);
      r.last_name = ToUpper(r.last_name);
    } else if (rng.Chance(0.1)) {
      r.first_name = ToLower(r.first_name);
      r.last_name = ToLower(r.last_name);
    }
    // Birth date.
    if (present(2)) {
      int month = p.month, day = p.day;
      if (day <= 12 && day != month && rng.Chance(n_.dob_swap)) std::swap(month, day);
      char buf[16];
      std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", p.year, month, day);
      r.birth_date = buf;
      if (rng.Chance(n_.dob_typo)) r.birth_date = DigitTypo(r.birth_date, rng);
    }
    // Phone.
    if (present(3)) {
      std::string digits = p.phones[!p.phones[1].empty() && rng.Chance(n_.second_phone) ? 1 : 0];
      if (rng.Chance(n_.phone_typo)) digits = DigitTypo(digits, rng);
      if (rng.Chance(n_.phone_short)) {
        digits = rng.Chance(0.5) ? digits.substr(3) : digits.substr(0, digits.size() - 1);
      }
      r.phone = FormatPhone(digits, rng);
    }
    // E-mail.
    if (present(4)) {
      r.email = p.emails[!p.emails[1].empty() && rng.Chance(n_.second_email) ? 1 : 0];
      if (rng.Chance(n_.email_typo)) {
        const size_t at = r.email.find('@');
        r.email = Typo(r.email.substr(0, at), rng) + r.email.substr(at);
      }
      if (rng.Chance(0.05)) r.email = ToUpper(r.email.substr(0, 1)) + r.email.substr(1);
    }
    // Address.
    const Address& a = rng.Chance(n_.old_address) ? p.old_address : p.address;
    if (present(5)) r.street_address = FormatStreet(a, upper, rng);
    if (present(6)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "%05d", a.zip);
      r.postcode = buf;
      if (rng.Chance(n_.postcode_typo)) r.postcode = DigitTypo(r.postcode, rng);
    }
    if (present(7)) {
      const City& c = kCities[a.city];
      std::vector<std::string> variants = SplitBar(c.variants);
      r.city = !variants.empty() && rng.Chance(0.15) ? variants[rng.Below(variants.size())]
                                                     : std::string(c.name);
      if (rng.Chance(n_.city_typo)) r.city = Typo(r.city, rng);
      if (upper) r.city = ToUpper(r.city);
    }
    return r;
  }

 private:
  static std::span<const double> SourceWeights() {
    static const std::vector<double> kWeights = [] {
      std::vector<double> w;
      for (const SourceProfile& s : kSources) w.push_back(s.weight);
      return w;
    }();
    return kWeights;
  }

  // The name as spelled on papers, or another spelling, possibly with a typo.
  std::string Spelling(const NameEntry& e, Rng& rng) {
    std::string s = e.name;
    std::vector<std::string> variants = SplitBar(e.variants);
    if (!variants.empty() && rng.Chance(n_.transliteration)) {
      s = variants[rng.Below(variants.size())];
    }
    if (rng.Chance(n_.name_typo)) s = Typo(s, rng);
    return s;
  }

  std::string FirstNameAsWritten(const Person& p, Rng& rng) {
    const NameEntry& e = FirstName(p);
    std::vector<std::string> nicks = SplitBar(e.nicknames);
    if (!nicks.empty() && rng.Chance(n_.nickname)) {
      std::string s = nicks[rng.Below(nicks.size())];
      if (rng.Chance(n_.name_typo)) s = Typo(s, rng);
      return s;
    }
    return Spelling(e, rng);
  }

  static std::string FormatPhone(const std::string& d, Rng& rng) {
    if (d.size() != 10) return d;  // shortened numbers are written as digits
    const std::string a = d.substr(0, 3), b = d.substr(3, 3), c = d.substr(6);
    switch (rng.Weighted({25, 25, 10, 15, 25})) {
      case 0:
        return "(" + a + ") " + b + "-" + c;
      case 1:
        return a + "-" + b + "-" + c;
      case 2:
        return a + "." + b + "." + c;
      case 3:
        return "+1 " + a + " " + b + " " + c;
      default:
        return d;
    }
  }

  std::string FormatStreet(const Address& a, bool upper, Rng& rng) {
    std::string number = std::to_string(a.number);
    if (rng.Chance(n_.house_typo)) number = DigitTypo(number, rng);
    std::string s = number;
    if (a.direction >= 0) {
      s += ' ';
      s += rng.Chance(0.5) ? kDirections[a.direction][0] : kDirections[a.direction][1];
      if (s.back() != 'h' && rng.Chance(0.3)) s += '.';
    }
    std::string name = kStreetNames[a.street];
    if (rng.Chance(n_.street_typo)) name = Typo(name, rng);
    s += ' ' + name + ' ';
    const StreetType& t = kStreetTypes[a.type];
    if (rng.Chance(0.5)) {
      s += t.full;
    } else {
      std::vector<std::string> abbr = SplitBar(t.abbreviations);
      s += abbr[rng.Below(abbr.size())];
    }
    if (!a.unit.empty() && rng.Chance(0.7)) {
      s += rng.Chance(0.5) ? ", " : " ";
      s += a.unit;
    }
    return upper ? ToUpper(s) : s;
  }

  const NoiseRates& n_;
};


}  // namespace

const char* PiiNoiseName(PiiNoise noise) {
  switch (noise) {
    case PiiNoise::kLow:
      return "low";
    case PiiNoise::kMedium:
      return "medium";
    case PiiNoise::kHigh:
      return "high";
  }
  return "?";
}

Result<PiiNoise> ParsePiiNoise(std::string_view name) {
  if (name == "low") return PiiNoise::kLow;
  if (name == "medium") return PiiNoise::kMedium;
  if (name == "high") return PiiNoise::kHigh;
  return Status::InvalidArgument("noise must be low, medium or high, not '" + std::string(name) +
                                 "'");
}

Status GeneratePiiRecords(const PiiOptions& options,
                          const std::function<void(const PiiRecord&)>& sink, PiiStats* stats) {
  if (options.records < 1 || options.records > 20000000) {
    return Status::InvalidArgument("records must be in [1, 20000000]");
  }
  // People, household by household, until they account for enough records;
  // the last person may get fewer records than drawn.
  Population population(options.seed);
  std::vector<Person> persons;
  uint64_t total = 0;
  for (uint64_t h = 0; total < options.records; ++h) {
    const size_t before = persons.size();
    population.Household(h, &persons);
    for (size_t i = before; i < persons.size(); ++i) {
      if (total >= options.records) {
        persons.resize(i);
        break;
      }
      persons[i].records =
          static_cast<int>(std::min<uint64_t>(persons[i].records, options.records - total));
      total += persons[i].records;
    }
  }
  // Records in random order: a shuffled slot per record, then person by person.
  std::vector<uint32_t> slots(options.records);
  for (uint32_t i = 0; i < slots.size(); ++i) slots[i] = i;
  Rng order(Mix(options.seed, 0x6f72646572));  // "order"
  for (size_t i = slots.size(); i > 1; --i) std::swap(slots[i - 1], slots[order.Below(i)]);
  std::vector<PiiRecord> records(options.records);
  RecordWriter writer(kNoise[static_cast<int>(options.noise)]);
  size_t next = 0;
  for (const Person& p : persons) {
    Rng rng(Mix(Mix(options.seed, 0x7265636f7264 + static_cast<uint64_t>(options.noise)), p.index));
    for (int k = 0; k < p.records; ++k) records[slots[next++]] = writer.Write(p, rng);
  }
  char id[32];
  for (size_t i = 0; i < records.size(); ++i) {
    std::snprintf(id, sizeof(id), "r%08zu", i);
    records[i].record_id = id;
    sink(records[i]);
    records[i] = PiiRecord();
  }
  if (stats != nullptr) {
    stats->records = records.size();
    stats->persons = persons.size();
  }
  return Status::OK();
}

Status WritePiiCsv(const PiiOptions& options, const std::string& path, PiiStats* stats) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return Status::Unavailable("cannot write " + path);
  for (size_t i = 0; i < kPiiColumns.size(); ++i) out << (i ? "," : "") << kPiiColumns[i];
  out << '\n';
  std::string line;
  Status s = GeneratePiiRecords(
      options,
      [&](const PiiRecord& r) {
        line.clear();
        for (const std::string* f :
             {&r.record_id, &r.first_name, &r.last_name, &r.birth_date, &r.phone, &r.email,
              &r.street_address, &r.postcode, &r.city, &r.source, &r.person_id}) {
          if (f != &r.record_id) line.push_back(',');
          line += holo::CsvQuote(*f);
        }
        line.push_back('\n');
        out << line;
      },
      stats);
  HOLO_RETURN_IF_ERROR(s);
  out.flush();
  if (!out) return Status::Unavailable("write failed: " + path);
  return Status::OK();
}

namespace internal {

const PiiNameTables& NameTables() {
  static const PiiNameTables* tables = [] {
    auto* t = new PiiNameTables;
    auto first_nickname = [](const NameEntry& e) {
      std::vector<std::string> n = SplitBar(e.nicknames);
      return n.empty() ? std::string() : n[0];
    };
    for (const NameEntry& e : kMaleNames) {
      t->male.push_back(e.name);
      t->male_nicknames.push_back(first_nickname(e));
    }
    for (const NameEntry& e : kFemaleNames) {
      t->female.push_back(e.name);
      t->female_nicknames.push_back(first_nickname(e));
    }
    for (const NameEntry& e : kSurnames) t->surnames.push_back(e.name);
    for (const City& c : kCities) t->cities.push_back(c.name);
    return t;
  }();
  return *tables;
}

}  // namespace internal

}  // namespace holo::generate
