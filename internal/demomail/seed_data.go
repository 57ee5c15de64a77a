package demomail

// Data tables for Seed. All names, companies and domains are fictional;
// domains use the reserved .example TLD.

var me = person{name: Name, email: Address, tz: 1}

var people = []person{
	{name: "José Müller", email: "jose.mueller@post.example", tz: 1},
	{name: "Zoë Ω. Papadopoulou", email: "zoe@athens.example", tz: 2},
	{name: "李小龍", email: "xiaolong.li@mail.example", tz: 8, bword: true},
	{name: "Søren Kierkegård", email: "soren@kbh.example", tz: 1},
	{name: "Priya Natarajan", email: "priya@ternmail.example", tz: 5},
	{name: "Marcus O'Brien", email: "marcus.obrien@ternmail.example", tz: 0},
	{name: "Aïcha Benali", email: "aicha.benali@lyon.example", tz: 1},
	{name: "Walsh, Liam", email: "liam.walsh@dublin.example", tz: 0},
	{name: "Hannah Schmidt", email: "hannah@ternmail.example", tz: 1},
	{name: "Tomás Ortega", email: "tomas.ortega@correo.example", tz: -5},
	{name: "田中 由紀", email: "yuki.tanaka@tokyo.example", tz: 9, bword: true},
	{name: "Ольга Иванова", email: "olga.ivanova@mail.example", tz: 3},
	{name: "Emma Johansson", email: "emma.j@stockholm.example", tz: 1},
	{name: "Noah Kim", email: "noah.kim@ternmail.example", tz: -8},
	{name: "Chloé Dubois", email: "chloe.dubois@paris.example", tz: 1},
	{name: "Ben Carter", email: "ben@carter-family.example", tz: 0},
	{name: "Mum", email: "margaret.rivera@family.example", tz: 0},
}

// Indices into people.
const (
	pJose = iota
	pZoe
	pLi
	pSoren
	pPriya
	pMarcus
	pAicha
	pLiam
	pHannah
	pTomas
	pYuki
	pOlga
	pEmma
	pNoah
	pChloe
	pBen
	pMum
)

var (
	coByte    = person{name: "The Weekly Byte", email: "newsletter@weeklybyte.example", tz: -5}
	coCafe    = person{name: "Café Olé", email: "hello@cafeole.example", tz: 1}
	coBooks   = person{name: "Paperleaf Books", email: "orders@paperleaf.example", tz: 0}
	coAir     = person{name: "Northwind Airlines", email: "bookings@northwind-air.example", tz: 1}
	coLib     = person{name: "Städtische Bibliothek", email: "ausleihe@bibliothek.example", tz: 1}
	coBank    = person{name: "Cobalt Bank", email: "alerts@cobaltbank.example", tz: 1}
	coParcel  = person{name: "Parcelly", email: "tracking@parcelly.example", tz: 1}
	coForge   = person{name: "GitForge", email: "notifications@gitforge.example", tz: 0}
	coCloud   = person{name: "Hexa Cloud Billing", email: "billing@hexacloud.example", tz: -8}
	coLumen   = person{name: "Lumen Energy", email: "billing@lumen-energy.example", tz: 1}
	coHotel   = person{name: "Hotel Löwen Zürich", email: "reservation@loewen-zuerich.example", tz: 1}
	coTrain   = person{name: "SBB-ish Rail", email: "tickets@rail.example", tz: 1}
	coMeetup  = person{name: "Go Meetup Copenhagen", email: "events@meetup.example", tz: 1}
	coJunkers = []person{
		{name: "Prize Department", email: "winner@lottery-intl.example", tz: 0},
		{name: "Account Security", email: "security@cobaltbank-verify.example", tz: 0},
		{name: "Luxury Watches", email: "deals@watch-outlet.example", tz: 8},
		{name: "CryptoMoon 🚀", email: "moon@crypto-moon.example", tz: 0},
		{name: "DHL Zustellung", email: "paket@zustellung-info.example", tz: 1},
	}
)

// Generic body paragraphs for personal mail.
var paragraphs = []string{
	"Thanks for getting back to me so quickly. I had a look at everything you sent over the weekend and I think we are mostly on the same page, apart from a couple of details that are probably easier to sort out on a call.",
	"I'm going to be travelling for most of next week, so replies might be a little slow. If anything urgent comes up, text me and I'll find a moment to answer.",
	"By the way, I finally tried that little café you recommended near the station. The cardamom buns were every bit as good as you said — I may have bought a second one for the train.",
	"Could you double-check the numbers before Thursday? I'm fairly sure the totals in the second table don't add up, but it's late and I don't trust my own arithmetic right now.",
	"The kids have been asking about you. We should plan a proper dinner soon, not just the usual rushed coffee between two meetings.",
	"I've attached nothing this time, promise. Just wanted to say that the presentation went really well and people kept asking about the demo afterwards.",
	"Let me know what works for you. I'm flexible on Tuesday and Wednesday afternoons, and Friday morning could work too if we keep it short.",
	"Apologies for the delay in answering — the last two weeks have been chaotic with the move, and my inbox has been the first casualty.",
	"Short version: yes, let's do it. Long version: I have a few questions about the timeline, but none of them are blockers.",
	"I ran into Ben at the market on Saturday and he mentioned you're thinking of changing jobs. No pressure, but if you want to talk it through over a beer, I'm around.",
	"It rained for three days straight, then the sun came out and everyone in the city pretended it had been summer all along.",
	"I'll bring the projector and the long HDMI cable; can you take care of the snacks? Last time we had forty people and two bags of crisps.",
	"Honestly, I think the simplest option is the right one here. We can always revisit it in a few months once we know more.",
	"I can't believe it's already been a year since Lisbon. Remember the tram that refused to go uphill? Still one of my favourite holiday stories. 😄",
	"No rush on this at all. Whenever you have a quiet half hour is fine.",
}

var greetings = []string{"Hi %s,", "Hey %s!", "Hello %s,", "Dear %s,", "%s —", "Hi %s, hope you're well."}

var signoffs = []string{"Cheers,", "Best,", "Thanks!", "Talk soon,", "Love,", "All the best,", "—"}

// native holds mail some people write in their own language: greeting,
// sign-off, subjects and paragraphs.
type nativeMail struct {
	greeting, signoff string
	subjects, paras   []string
}

var native = map[int]nativeMail{
	pJose: {"Hallo %s,", "Liebe Grüße,", []string{"Grüße aus München", "Treffen am Donnerstag", "Kurze Frage zur Wohnung"}, []string{
		"Ich hoffe, es geht dir gut! Die Unterlagen für das Treffen am Donnerstag schicke ich dir heute Abend, spätestens morgen früh.",
		"Das Wetter hier ist herrlich, wir waren am Wochenende am Starnberger See und haben viel zu viel Kuchen gegessen.",
		"Übrigens: Kannst du mir die Adresse von dem Café schicken, von dem du neulich erzählt hast?"}},
	pChloe: {"Salut %s,", "Bises,", []string{"Une petite question", "Dîner samedi ?", "Photos de l'été"}, []string{
		"Merci encore pour l'accueil la semaine dernière. La soirée était parfaite et le gâteau au chocolat, une réussite totale.",
		"Est-ce que tu serais libre samedi soir ? On organise un petit dîner à la maison, rien de compliqué.",
		"J'ai enfin trié les photos de l'été, je t'envoie le lien dès que tout est en ligne."}},
	pLi: {"%s，你好！", "祝好，", []string{"关于下周的会议", "周末有空吗？"}, []string{
		"下周的会议改到星期三下午三点，请确认你是否方便参加。",
		"上次你推荐的那本书我已经看完了，非常好看，谢谢！",
		"周末天气不错，要不要一起去公园走走？"}},
	pSoren: {"Hej %s,", "Kærlig hilsen,", []string{"Tak for sidst!", "Middag på fredag?"}, []string{
		"Tak for sidst! Det var en dejlig aften, og vi må gøre det igen snart — næste gang er det min tur til at lave mad.",
		"Jeg har fundet en god cykelrute langs vandet, som vi kunne prøve i weekenden.",
		"Husk at tage regntøj med, vejrudsigten ser ikke for god ud."}},
	pOlga: {"Привет, %s!", "Обнимаю,", []string{"Спасибо!", "Планы на выходные"}, []string{
		"Спасибо за помощь с переводом, всё выглядит отлично. Увидимся на следующей неделе!",
		"В субботу мы собираемся в парк, присоединяйся, если будет время."}},
}

// Personal one-off subjects.
var personalSubjects = []string{
	"Lunch on Friday?", "Photos from the weekend 📸", "Quick question about the budget",
	"Re-scheduling our call", "Book recommendation",
	"Café next week? ☕", "Happy birthday! 🎉", "Moving help on Saturday",
	"Your talk was great", "Kindergarten pickup schedule", "The recipe I promised",
	"Running club — new route", "Did you see this?", "Board game night", "Spare keys",
	"Heads-up: I'll be late tomorrow", "Garden tools", "Old photos from Mum's attic",
	"Concert tickets 🎶", "Weekend in the mountains?",
}

// Threads: a subject, the mailbox the incoming side lives in, the other
// participants (indices into people) and topic lines.
type threadSpec struct {
	subject string
	mailbox string
	with    []int
	lines   []string
}

var threadSpecs = []threadSpec{
	{"Tern 0.4 release checklist", "Projects/Tern", []int{pPriya, pMarcus}, []string{
		"I've gone through the checklist and ticked off packaging and the changelog.",
		"Signing the macOS build is still blocked on the new certificate.",
		"Can we freeze main on Wednesday and tag on Friday?",
		"Release notes draft is in the shared folder; please add anything I missed."}},
	{"IMAP IDLE reconnect bug", "Projects/Tern", []int{pNoah}, []string{
		"After the laptop wakes from sleep, the IDLE connection stays dead until restart.",
		"I can reproduce it reliably with Dovecot if I pull the network cable for 30 seconds.",
		"The fix is probably a NOOP with a short deadline after resume.",
		"Pushed a branch with the keepalive change, would love a review."}},
	{"Design review: message list density", "Projects/Tern", []int{pHannah, pPriya}, []string{
		"The compact mode looks great, but the unread dot is hard to see in dark mode.",
		"I'd keep two lines per message by default and make compact opt-in.",
		"Mock-ups for both variants are attached to the ticket.",
		"Let's test it with the group on Thursday and decide then."}},
	{"Über die Übersetzung der Einstellungen", "Projects/Tern", []int{pJose}, []string{
		"Ich habe die deutschen Texte für den Einstellungsdialog überarbeitet.",
		"„Ordner“ statt „Mailbox“ klingt für die meisten Leute natürlicher.",
		"Bei den Tastenkürzeln bin ich mir noch unsicher — kannst du kurz drüberschauen?",
		"Danke! Ich schicke dir morgen die finale Version."}},
	{"Server migration window", "INBOX", []int{pMarcus, pNoah}, []string{
		"We need two hours of downtime for the mail server migration.",
		"Saturday 06:00–08:00 UTC seems to be the quietest window.",
		"I'll post a notice on the status page two days in advance.",
		"Rollback plan: keep the old VM running read-only for a week."}},
	{"Dinner plans for Saturday", "INBOX", []int{pBen}, []string{
		"Are we still on for Saturday? I can book the Italian place for 19:30.",
		"Emma can't make it, she's got a cold.",
		"Shall I bring dessert? I've been practising tiramisu.",
		"Booked! Table for four under my name."}},
	{"Apartment viewing — Løvstræde 12", "INBOX", []int{pSoren}, []string{
		"The landlord can show the apartment on Tuesday at 17:00.",
		"It's on the fourth floor, no lift, but the light is wonderful.",
		"The deposit is three months' rent, which is standard here.",
		"I told them you're interested; they'll hold it until Friday."}},
	{"Conference talk proposal (draft)", "INBOX", []int{pZoe}, []string{
		"Here's my first attempt at the abstract — be brutal.",
		"I think the part about offline search deserves its own section.",
		"The deadline is the 15th, so we have a bit of time.",
		"Submitted! Fingers crossed. 🤞"}},
	{"Summer holiday in Portugal 🌞", "INBOX", []int{pMum, pBen}, []string{
		"We found a little house near Sagres for the last two weeks of July.",
		"It sleeps six, so there's room for everyone if you want to join.",
		"Flights from Copenhagen are cheapest on Tuesdays, apparently.",
		"I've paid the deposit; you can send me your share whenever."}},
	{"Naming the new cat 🐈", "INBOX", []int{pEmma}, []string{
		"We've narrowed it down to Miso, Pixel or Professor Whiskers.",
		"The kids want Professor Whiskers. Obviously.",
		"She knocked over a plant within the first hour, so maybe Chaos is more fitting.",
		"Final answer: Miso. Photos to follow!"}},
	{"Q3 budget numbers", "Archive", []int{pLiam}, []string{
		"Finance needs the Q3 numbers by the end of the month.",
		"Travel is over budget, mostly because of the Zürich workshop.",
		"I've moved some of the hardware spend to Q4 to compensate.",
		"Signed off — thanks for the quick turnaround."}},
	{"关于翻译进度", "Projects/Tern", []int{pLi}, []string{
		"中文翻译已经完成了大约百分之八十。",
		"还有设置页面和错误提示没有翻译。",
		"我下周可以把剩下的部分做完。",
		"已经提交了，请帮忙检查一下。"}},
	{"Kickoff: mobile layout", "Projects/Tern", []int{pHannah, pNoah}, []string{
		"Kickoff for the narrow-window layout is on Monday at 10:00.",
		"Goal: the three-pane view should collapse gracefully below 900px.",
		"I'll prepare a short survey of how other clients handle it.",
		"Notes from the kickoff are in the wiki."}},
	{"Visite à Lyon en octobre", "INBOX", []int{pAicha}, []string{
		"Tu viens toujours à Lyon en octobre ? On pourrait se voir le samedi.",
		"Il y a une exposition sur l'imprimerie au musée, ça pourrait te plaire.",
		"Je peux t'héberger, le canapé est plus confortable qu'il n'en a l'air.",
		"Parfait, à bientôt alors !"}},
	{"Running club — half marathon training", "Archive", []int{pTomas, pEmma}, []string{
		"The training plan starts next Monday: three runs a week, one long.",
		"Sunday long runs will start from the lakes at 08:00.",
		"I'm bringing energy gels for everyone, no excuses.",
		"Great run today — 18 km and nobody got lost."}},
}

// Newsletters: sender, subject templates (%d = issue/week number) and items.
type newsletterSpec struct {
	from     person
	listID   string
	subjects []string
	items    []string
}

var newsletters = []newsletterSpec{
	{coByte, "weekly-byte.weeklybyte.example", []string{
		"The Weekly Byte #%d: Rust in the kernel, again", "The Weekly Byte #%d: Why your IMAP client is slow",
		"The Weekly Byte #%d: 10 terminal tricks you didn't know", "The Weekly Byte #%d: SQLite is (still) everywhere",
		"The Weekly Byte #%d: The state of e-mail in 2025 📬"},
		[]string{"A deep dive into connection pooling for mail clients.", "Why full-text search belongs on the device.",
			"Interview: the people keeping SMTP alive.", "Benchmarks: five embedded databases compared.",
			"Tooling: a faster way to bisect flaky tests.", "Opinion: the inbox is a to-do list, and that's fine."}},
	{coCafe, "news.cafeole.example", []string{
		"☕ Fresh beans are back — week %d", "Café Olé: your free pastry is waiting 🥐 (%d)",
		"Neu bei Café Olé: Herbstkarte (KW %d)", "Café Olé loyalty update #%d"},
		[]string{"Our Ethiopian Yirgacheffe is back in stock.", "Two-for-one on flat whites every Tuesday.",
			"New: oat-milk cardamom latte.", "Barista workshop on Saturday — 6 places left."}},
	{coBooks, "newsletter.paperleaf.example", []string{
		"New arrivals this week 📚 (#%d)", "Staff picks: summer reads (#%d)", "Paperleaf: 20%% off poetry this weekend (#%d)"},
		[]string{"“The Long Quiet” — a novel about lighthouse keepers.", "A new translation of Kierkegaard's letters.",
			"Cookbook of the month: Nordic baking.", "Signed copies of “Post & Packet” available."}},
	{coAir, "deals.northwind-air.example", []string{
		"✈️ Fly to Lisbon from €49 (offer %d)", "Last-minute deals to Zürich and Vienna (%d)", "Your miles statement #%d"},
		[]string{"Copenhagen → Lisbon from €49 one way.", "Zürich weekend: flight + hotel from €199.",
			"Extra legroom now bookable on all routes.", "Double miles on autumn bookings."}},
	{coLib, "infos.bibliothek.example", []string{
		"Neue Medien im Bestand (Ausgabe %d)", "Veranstaltungen der Stadtbibliothek – Nr. %d"},
		[]string{"Lesung: „Grüne Tomaten“ am Donnerstag um 19 Uhr.", "Neu: Hörbücher für Kinder.",
			"Die Bibliothek bleibt am Feiertag geschlossen.", "Workshop: Digitale Ausleihe für Einsteiger."}},
	{coMeetup, "events.meetup.example", []string{"Go Meetup Copenhagen: talk line-up #%d"},
		[]string{"“Writing an IMAP server in an afternoon” — lightning talk.", "Profiling Go services in production.",
			"Pizza and drinks sponsored by a friendly startup.", "Venue: the usual co-working space, 3rd floor."}},
}

var forgeIssues = []string{
	"Fix folding of long References headers", "Crash when a mailbox name contains '&'",
	"Support CONDSTORE for faster resync", "Dark mode: unread badge contrast", "Add keyboard shortcut for archive",
	"Attachments with RFC 2231 filenames show as 'noname'", "Search is slow on 100k messages",
	"Draft autosave loses Cc field", "Translate settings into Chinese (中文)", "Offline mode indicator",
}

var forgeActors = []string{"priya-n", "mobrien", "noahk", "hschmidt", "ji-li", "jose-m"}

var shops = []string{"Café Olé", "Netto", "Paperleaf Books", "Bäckerei Schröder", "Metro Station Kiosk", "Hexa Cloud", "Lumen Energy", "Sushi Ō"}

var parcelItems = []string{"Paperleaf Books order", "Headphones", "Bike lights", "Coffee grinder", "Kids' raincoat", "USB-C hub"}

var junkSubjects = []string{
	"You have WON a €1,000,000 prize!!!", "Your account has been suspended — verify now",
	"Luxury watches 90% off 💎", "Crypto opportunity 🚀🚀🚀 (only today)", "Ihr Paket konnte nicht zugestellt werden",
}

var travelTrips = []struct {
	from, to, code string
}{
	{"Copenhagen", "Zürich", "ZRH"}, {"Copenhagen", "Lisbon", "LIS"}, {"Copenhagen", "Lyon", "LYS"},
	{"Zürich", "Copenhagen", "CPH"}, {"Copenhagen", "Dublin", "DUB"}, {"Copenhagen", "Athens", "ATH"},
}
