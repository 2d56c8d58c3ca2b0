"""Word lists behind person-name detection, bundled so that no NER model has to be downloaded.

Hand-written: spaCy/Presidio need an English model that is not on the package index (see STACK.md trap 9),
and the name-list packages on PyPI are either GPL (gender-guesser) or hundreds of MB (names-dataset).
The lists hold common given names of the English-, German-, French-, Spanish-, Italian-, Dutch- and
Portuguese-speaking world plus frequent South Asian, East Asian, Arabic and Slavic ones: enough for support
tickets, where names appear after cues ("my name is", "Regards,") or as "First Surname".
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


#: Given names that are not ordinary English words: a capitalised one alone is taken as a person.
FIRST_NAMES: frozenset[str] = _words(
    """
    Aaron Abdul Abigail Adam Adrian Adriana Agnes Ahmed Aidan Aiden Aisha Alan Albert Alberto Alejandro Alex
    Alexander Alexandra Alexis Alfred Ali Alice Alicia Alison Allison Alyssa Amanda Amelia Amir Amy Ana Andrea
    Andreas Andrew Andy Angela Angelica Anita Ann Anna Anne Annette Annie Anthony Antoine Antonio Anya Arjun
    Arthur Ashley Audrey Ava Barbara Beatrice Beatriz Ben Benjamin Bernard Beth Betty Beverly Bianca Bob Bobby
    Bonnie Brandon Brenda Brian Bridget Brittany Bruce Bruno Bryan Caitlin Caleb Camille Carl Carla Carlos
    Carmen Carol Caroline Carolyn Catherine Cecilia Charles Charlie Chen Cheryl Chloe Chris Christian Christina
    Christine Christopher Cindy Claire Clara Claudia Colin Connor Craig Cristina Cynthia Daniel Daniela Danielle
    Danny David Debbie Deborah Debra Denise Dennis Derek Diana Diane Diego Dimitri Dmitri Dominic Donald Donna
    Doris Dorothy Douglas Dylan Eduardo Edward Eileen Elaine Eleanor Elena Eli Elias Elif Elijah Elisa Elisabeth
    Eliza Elizabeth Ella Ellen Emily Emma Enrique Eric Erica Erik Erin Ethan Eugene Evelyn Fabian Farah Fatima
    Felix Fernando Fiona Francesca Francesco Francis Francisco Franz Frederick Gabriel Gabriela Gabrielle Gary
    George Gerald Gerhard Giovanni Giulia Giuseppe Gloria Gordon Greg Gregory Gustavo Hana Hannah Hans Harold
    Harry Hassan Heather Heidi Helen Helena Henry Hiroshi Hugo Hussein Ian Ibrahim Igor Ingrid Irene Isaac
    Isabel Isabella Isabelle Ivan Jacob Jacqueline Jake James Jamie Jan Jane Janet Janice Jasmine Jason Javier
    Jean Jeffrey Jennifer Jenny Jeremy Jerome Jerry Jessica Jesus Jill Joan Joanna Joe Joel Johan Johann Johannes
    John Johnny Jonathan Jorge Jose Joseph Josephine Joshua Joyce Juan Judith Judy Julia Julian Julie Juliette
    Jurgen Justin Kai Karen Karim Karin Karl Kate Katherine Kathleen Kathryn Kathy Katie Katrin Kayla Keith
    Kelly Ken Kenneth Kevin Khalid Kim Kimberly Klaus Kyle Laura Lauren Laurent Leah Lena Leo Leon Leonardo
    Leslie Liam Linda Lisa Logan Lorenzo Louis Louise Luca Lucas Lucia Lucy Luis Luisa Lukas Madeline Maria
    Mariana Marie Marilyn Marina Mario Marion Marisa Marta Martha Martin Mary Mateo Matteo Matthew Matthias
    Maureen Mehmet Megan Melanie Melissa Mia Michael Michaela Michel Michelle Miguel Mike Mohamed Mohammad
    Mohammed Monica Monika Muhammad Nadia Nancy Naomi Natalie Natasha Nathan Nicholas Nicola Nicolas Nicole
    Nikolai Nina Noah Nora Oliver Olivia Omar Oscar Pablo Pamela Paolo Patricia Patrick Paul Paula Pedro Peter
    Philip Philippe Pierre Pietro Priya Rachel Rahul Raj Rajesh Ralph Ramon Raphael Rebecca Regina Renee Ricardo
    Richard Rita Robert Roberto Roger Ronald Rosa Ryan Samantha Samuel Sandra Sanjay Sara Sarah Sean Sebastian
    Sergei Sergio Sharon Shirley Simon Simone Sofia Sophia Sophie Stefan Stefanie Stephanie Stephen Steve Steven
    Susan Suzanne Sven Sylvia Tamara Tanya Teresa Theresa Thomas Tiffany Timothy Tina Tobias Todd Tom Tommy
    Tony Tracy Tyler Ursula Valentina Valerie Vanessa Vera Veronica Victor Vincent Virginie Vivek Walter Wei
    Wendy William Wolfgang Xavier Yasmin Yuki Yusuf Zachary Zoe Zoey
    Ahmad Aleksandr Amit Ananya Anil Arun Deepak Fatma Ingrid Kenji Li Lin Liu Mei Ming Olga Pavel Ravi Sakura
    Sunil Svetlana Takeshi Vladimir Wang Yan Yang Ying Yuri Zhang Zhao Anders Astrid Bjorn Erika Lars Magnus
    Nils Sigrid Siobhan Aoife Ciara Niamh Sinead Declan Eamon Padraig Rhys Gareth Dafydd Hamish Callum Fraser
    Ewan Isla Ailsa Moira Morag Josefina Guadalupe Alejandra Camila Valeria Ximena Santiago Matias Joaquin
    Thiago Rodrigo Gonzalo Ines Ignacio Marcelo Fabio Andre Joao Goncalo Tiago Rui Afonso Leonor Beatrix Femke
    Sanne Daan Joost Pieter Wouter Bram Anouk Lotte Maud Jurgen Uwe Dieter Helmut Horst Manfred Rainer Sabine
    Ulrike Birgit Petra Jutta Dirk Sven Ines Heike Kerstin Nathalie Sylvie Isabeau Aurelie Celine Elodie
    Mathieu Thibault Guillaume Julien Sebastien Olivier Yannick Benoit Francois Helene Sandrine Valerie Giorgio
    Alessandro Alessandra Federica Chiara Elisabetta Marco Stefano Roberta Emanuele Davide Simona Sam Tim Ted
    Carol Lou Ahmet Emre Zeynep Ayse Fatih Burak Kemal
    """
) | _words(
    # West, East and Southern African, Arabic, Persian, South, East and Southeast Asian, Latin American,
    # Slavic and Irish given names (and accented spellings: "Jürgen", "Zoë", "José") that a recall review of
    # support tickets found leaking after weak cues ("Hi Kwame", "spoke with Tariq Mahmood").
    """
    Aarav Abdoulaye Abdullah Abebe Abena Achieng Adaeze Aditya Adwoa Agnieszka Agus Aisling Aissatou Akinyi
    Alexei Alexey Amara Amelie Amina Aminata Amélie Anastasia Andrei Andres Andrés Anjali Ankit Arash Arief Asif
    Ayesha Ayodele Babatunde Bilal Björn Bogdan Budi Catalina Cheikh Chidi Chidinma Chinedu Chloé Cian Ciaran
    Clémence Dawit Dewi Dinesh Divya Dmitry Dragan Ekaterina Emeka Eoin Fahad Faisal Farhan Farid Fatoumata
    Fernanda Folake Frederic Frédéric Funmilayo Ganesh Gonçalo Guilherme Gurpreet Hadi Halima Hamza Harpreet
    Haruka Haruto Hieu Hoang Huda Huong Hyun Hélène Ibrahima Ifeoma Imran Inés Ioana Ivana Jaspreet Jihoon
    Jimena Jisoo Jiwoo Joaquín José Jovana João Jérôme Jürgen Kamau Karthik Katarzyna Kavita Kavya Keiko Kerem
    Khadija Kofi Krzysztof Kwabena Kwame Lakshmi Layla Leila Lerato Leticia Letícia Linh Lucía Mahesh Mamadou
    Manish Manpreet Marek Mariam Maryam María Meera Mehdi Mekdes Mihai Mikhail Minh Minji Moussa Mustafa Nadeem
    Naoko Natalia Natalya Naveen Neha Ngozi Nikhil Nikola Nisha Njeri Nkechi Nomvula Noor Nour Noémie Nurul
    Obinna Oisin Oksana Oluwaseun Otieno Ousmane Parisa Phuong Piotr Pooja Praveen Putri Quang Rafael Ramesh
    Rami Rania Rashid Rekha Renata Reza Rizal Rohan Sachin Saeed Salma Sami Samir Sana Saoirse Satoshi Sebastián
    Segun Seojun Sergey Shirin Shreya Simran Sipho Siti Sneha Sofía Soren Sota Srinivas Stephane Stéphane Sunita
    Suresh Swati Søren Tariq Tatenda Temitope Tendai Thabo Thandiwe Thanh Thao Themba Tigist Tomasz Tuan Tunde
    Uchenna Usman Venkat Vikram Walid Wanjiku Wanjiru Wayan Wojciech Xiaoming Yasmine Yetunde Yifan Youssef
    Yulia Yuliya Yuto Zainab Zanele Ziad Zoltan Zoltán Zoë Zuzana
    Jana Rina Lenka Tereza Kateřina Lucie Sari Ayu Rizky Fitri Indah Wulan
    """
) | _words(
    # Given names written with letters beyond Latin-1 (Latin Extended-A/B and Additional): Polish, Czech,
    # Slovak, Romanian, Turkish, Baltic, South Slavic and Vietnamese spellings.
    """
    Łukasz Paweł Michał Małgorzata Stanisław Bartłomiej Przemysław Mirosław Radosław Jarosław Wiesław Zbigniew
    Grażyna Bożena Jadwiga Dorota Jiří Tomáš Lukáš Ondřej Matěj Vojtěch Zdeněk Přemysl Kateřina Lucie Tereza
    Zuzana Ľubomír Ľudmila Ľubica Miroslav Ștefan Ştefan Andreea Mădălina Răzvan Ionuț Ayşe Şükrü Gökhan Yiğit
    Çağla Gülşen Müge Barış Ümit Öznur Jānis Māris Rūta Dāvis Žaneta Miloš Dušan Đorđe Nikša Jelena Dragana
    Hương Thảo Dũng Tuấn Ngọc Hằng Trang Phương Quỳnh Thủy
    """
)

#: Family names written before the given names, the most frequent Vietnamese ones (about nine people in ten
#: bear one of them), with and without their diacritics ("Nguyễn Thị Hương", "Tran Van Minh"). Short ASCII
#: spellings that are words or other names ("Le", "Do", "Ho", "Vo", "Vu", "Ly") are left out.
SURNAMES_FIRST: frozenset[str] = _words(
    """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Lương Trịnh
    Nguyen Tran Pham Hoang Huynh Dang Bui Duong Dinh Truong Luong Trinh
    """
)

#: The most frequent Japanese family names, written before the given name in Japanese order ("Yamamoto Ayumi",
#: "SAITO Takeshi"): a name only when a known given name follows (several are brands or places too: "Suzuki
#: Swift", "Honda Civic").
JAPANESE_SURNAMES: frozenset[str] = _words(
    """
    Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi
    Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Yamashita Ishikawa Nakajima Maeda
    Fujita Ogawa Goto Okada Hasegawa Murakami Kondo Ishii Saito Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Miura
    Fujiwara Okamoto Matsuda Nakagawa Honda Harada Ono Tamura Takeuchi Kaneko Wada Nakano Ishida Ueda Morita
    """
)


#: A letter of a name -> how it is typed without its diacritic where Unicode decomposition does not say ("Ł" has
#: no "L" + mark form): users type "Lukasz", "Malgorzata", "Jurgen", "Dang".
_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "Ae", "æ": "ae"})


def _ascii_forms(names: frozenset[str]) -> frozenset[str]:
    """``names`` plus each one typed without its diacritics ("Łukasz" -> "Lukasz", "Gökhan" -> "Gokhan")."""
    import unicodedata

    folded = {
        "".join(c for c in unicodedata.normalize("NFKD", name.translate(_FOLD)) if not unicodedata.combining(c))
        for name in names
        if not name.isascii()
    }
    return names | frozenset(f for f in folded if f.isascii() and f.isalpha())


FIRST_NAMES = _ascii_forms(
    FIRST_NAMES
    | _words(
        # more common given names of Ukraine, Sri Lanka, India, Iran, Thailand, Japan, the Nordics, Germany,
        # Greece, Israel, Brazil and Portugal, Kazakhstan, New Zealand (Māori), Bangladesh, Nigeria and China,
        # English short forms, and frequent US given names of the last sixty years; then (the last lines) those of
        # Finland, Turkey, Hungary, Romania, Czechia, Poland, the Low Countries, France, Spain and the Basque
        # Country, Italy, Ireland, Wales, West and Southern Africa, India, Mexico and Senegal
        """
        Olena Oleksandr Nimali Kavindu Dilshan Rohit Deepika Hamid Somchai Harpreet Gokhan Dmitri Aiko Hiroko Kenta
        Maximilian Mikael Mikkel Freja Aino Elina Oskar Viktor Anton Emil Matilda Ida Elsa Nico Lea Nikos Eleni
        Dimitris Shira Yael Noam Inês Tomás Mateus Enzo Aigerim Nursultan Aroha Tama Nusrat Farzana Kelechi Ngozi
        Xiaoling Jiahui Yiming Zihan Haoran Ruoxi
        Jon Dan Nate Pete Jim Jimmy Liz Meg Jen Jess Becky Vicky Dave Phil Rick Ron Larry Jeff Josh Zach Tess
        Dana Kristen Kristin Lindsay Lindsey Courtney Tara Brett Cody Dustin Travis Trevor Shane Wayne Marcus Darren
        Seth Kirk Brianna Kaitlyn Mackenzie Hailey Haley Brooke Paige Shelby Monique Lachlan Melinda Tonya Stacy
        Stacey Tracey Kristy Kristina Krista Jenna Jillian Tasha Latoya Keisha Jamal Tyrone Deshawn Darnell Terrence
        Cedric Marlon Jared Corey Casey Kelsey Whitney Lacey Kendra Kara Katrina Sabrina Bethany Garrett Colby Gavin
        Jaden Brayden Landon Colton Owen Wyatt Isaiah Josiah Nolan Avery Riley Peyton Skylar Addison Aubrey Kinsley
        Everly Elliot Emmett Beckett Rowan Silas Milo Theo Ezra Ryder Bryce Tristan Damian Jace Asher Élodie
        Alina Alyona Dariusz Ewa Grzegorz Jakub Kasia Magdalena Zofia Deniz Selin Oguz Hakan Chioma Adebayo Femi
        Bola Uche Gaurav Sandeep Jing Qiang Zhiwei Yuko Akira Samira Zaid Joana Luiz Larissa Bruna Vinicius Jeroen
        Maarten Ruud Eline Thijs Niels Koen Martina Silvia Alvaro Álvaro Raul Raúl Pilar Rocio Rocío Ainhoa Iker
        Nuria Núria Skyler Emerson Finley Hayden Kendall Reese
        Marieke Joris Sjoerd Abdulrahman Eitan Mairead Ciarán Fergus Oğuz Océane Théo Baptiste Venkatesh Meenakshi
        Allen Alma Alvin Aurélie Barry Bernice Bertha Billy Bradley Brent Calvin Carrie Cathy Christophe Clarence
        Clifford Clément Connie Curtis Céline Darlene Darrell Derrick Dolores Eddie Edith Edna Edwin Elsie Ernest
        Esther Ethel Eva Floyd Fred Geraldine Gilbert Gladys Glenn Herbert Herman Howard Inès Jeanette
        Jeanne Jeffery Jesse Joann Joanne Juanita Laurie Lawrence Leonard Leroy Lester Lewis Lillian Lois Loretta
        Lori Lorraine Lucille Léa Manon Manuel Margaret Marjorie Marvin Mathilde Maurice Maël Melvin Micheal Michele
        Mildred Norma Pauline Peggy Phillip Phyllis Randall Randy Raymond Rhonda Ricky Rodney Ronnie Roy Russell
        Scott Shawn Sheila Sherry Stéphanie Sébastien Tammy Thelma Theodore Thierry Valérie Vivian Wanda Wesley
        Willie Yolanda Yvonne
        Aileen Alfie Aoi Ayumi Bongani Brodie Bukola Cerys Chiamaka Clodagh Cormac Daichi Darcy Darragh
        Emilia Ffion Funmilayo Ifeanyi Imogen Itzel Jarrah Jayden Jonas Juliana Kiprono Kristine Kylie Lindiwe Margaux
        Misaki Mitchell Mylene Nekesa Nerea Nnamdi Noura Oisín Poppy Riaan Ronan Róisín Seamus Shauna Sienna Siobhán
        Svenja Tadhg Tahlia Wambui Yanis Yuna Zara Émilie Étienne Íñigo Özlem Haruto Sota Yuto Riku Hinata Mei Sakura
        Yui Rin Kaito Ren Minato Akari Hana Himari Yuina Takumi Kazuki Shota Naoki Ryota Tomoko Keiko Naomi Kumiko
        Niall Nomsa Corinne Deb Priyesh Thandeka Nandi Palesa Kagiso Tshepo Sibusiso Ayanda Mpho Naledi Vusi
        Busisiwe Khanyisile Olumide Funmi Kemi Dapo Wale Kunle Ayo Godwin Akua Efua Kojo Esi Odhiambo Kipchoge
        Cherono Jelimo Vivaan Ishaan Riya Rakesh Mukesh Vijay Ajay Arvind Manoj Pradeep Harish Girish Sita Gita
        Radha Padma Usha Asha Savita Pritha Priti Preeti Shweta Umar Ismail Saud Nasser Laila Amira Dina Reem Lina
        Xiaoli Takashi Akiko Daisuke Ryo Hina Kaori Minjun Jiho Jimin Seoyeon Jiyeon Hyunwoo Sungmin Eunji Soojin
        Haeun Marisol Inmaculada Itziar Aitor Unai Nuno Matheus Rafaela Alessia Jacques Geneviève
        Moritz Niklas Anke Anja Friederike Reto Urs Fleur Maartje Annelies Mads Henrik Helga Kari Liv Maja Elin
        Marcin Bartek Gosia Tatiana Irina Caoimhe Orla Eilidh Fionn Euan Mhairi Narelle Bronwyn Tamsin Ollie
        Archie Freddie Evie Harriet Lakisha Shaniqua Tanisha Aaliyah Imani Jalen Malik Dwayne Yolonda Hemi
        Wiremu Manaia Murat Emine Ece Priyanka Akash Aditi Ishita Tanvi Varun Karan Siddharth Yash Kunal Ritu
        Komal Payal Pallavi Shruti Kajal Geeta Naresh Ashok Vinod Prakash
        Frederik Johanna Okan Marlene Txema Gábor Eszter Zsófia Dóra Péter Sinéad Gráinne Mick Veera Timo Sanna
        Kostas Maribel Chantelle Rhiannon Bethan Ceri Siân Sian Ngaire Birgitta Willemijn Filipa Leandro Vittoria
        Roxana Vasile Evy Fatou Maxime Kelvin Rosalind Ellie Jaylen Lamar Marissa Conor Jodie Bev Priscila Tolu
        Marcos Jens Martín Sören Frida Linnea Wilma Alva Ebba Isak Filip Gustav Solveig Kristian Bjørn Torben Jesper
        Rasmus Mette Lene Pernille Camilla Tove Hanne Jussi Juha Mikko Antti Pekka Tuomas Janne Heikki Riikka Minna
        Katja Päivi Tiina Aleksi Eetu Onni Aada Eevi Helmi Hüseyin Hasan İbrahim Serkan Volkan Merve Esra Büşra
        Hatice Aylin Ebru Tuğba Canan László István József Ferenc Tamás Attila Balázs Csaba Katalin Erzsébet Ildikó
        Krisztina Anikó Judit Réka Nóra Levente Ádám Gheorghe Ioan Constantin Alexandru Florin Cristian Mihaela
        Raluca Oana Petr Josef Jaroslav Veronika Markéta Andrzej Mateusz Kamil Beata Aleksandra Justyna Georgios
        Giorgos Konstantinos Dimitrios Ioannis Yannis Panagiotis Christos Vasilis Nikolaos Despina Vasiliki Dimitra
        Athina Ioanna Eirini Stijn Lieke Fenna Marloes Saskia Ilse Florian Markus Günter Ralf Jörg Susanne Silke
        Leonie Lara Matthieu Romain Alexandre Amandine Adrián Rubén Iván Jaime Raquel Iñaki Xabier Koldo Gorka Mikel
        Leire Amaia Filipe Felipe André Catarina Priscilla Fábio Renato Federico Riccardo Giorgia Grainne Deirdre
        Eimear Pádraig Seán Colm Dermot Brendan Gethin Iwan Huw Owain Carys Nia Catrin Seren Eleri Angharad Kwaku
        Bayo Yemi Tolulope Nneka Thandi Lwazi Andile Mandla Nitin Anand Parvati Kayleigh Gemma Leanne Abbie Darius
        Tremaine Shanice Kiara Aliyah Yesenia Araceli Awa
        Gizem Zeynep Ayşegül Burak Emre Kerem Onur Tolga Uğur Pınar Sibel Özge Cansu Berk Ozan Osman Micaela Agustina
        Florencia Valentina Milagros Nahuel Facundo Matías Gonzalo Rodrigo Ximena Mariela Romina Daniela Tatiane Thiago
        Jéssica Fernanda Gabriela Letícia Gustavo Guilherme Cleide Rosângela Edson Sindre Eirik Håkon Sigrid
        Ingrid Torbjørn Kjetil Vegard Øystein Synnøve Marit Sangeeta Sunita Anjali Pooja Neha Sneha Rahul Amit Sanjay
        Suresh Ramesh Rajesh Deepak Nikhil Rohan Kavita Lakshmi Divya Swati Wanjiru Wanjiku Njeri Otieno Achieng Atieno
        Akinyi Rehema Juma Cosmin Bogdan Ionela Loredana Agus Hendra Wahyu Bambang Slamet Henryk Wojciech Krzysztof
        Agnieszka Katarzyna Petra Pavel Yossi Moshe
        Irena Éva Ágnes Zsuzsanna Tímea Márton Gergely Norbert Eliška Radek Pavol Juraj Bartosz Kacper Szymon Jacek
        Mariusz Cătălin Vlad Radu Sorin Dragoș Ragnhild Ingeborg Gunnar Øyvind Kasper Aila Eveliina Henna Jenni Noora
        Jukka Matti Petri Teemu Klara Fredrik Mattias Pontus Tetiana Iryna Kateryna Anastasiia Dmytro Andrii Serhii
        Volodymyr Mykola Yurii Bohdan Taras Vasyl Lourdes Jordi Arnau Xavi Óscar Maricel Rowena Jocelyn Marites Analyn
        Jomar Rodel Arnel Reynaldo Rogelio Ikechukwu Chukwuemeka Hanh
        """
    )
)


#: Given names that are also common words, places or brands ("Will", "May", "Chase", "Alexa"): taken as a
#: person only after a cue ("this is Will") or with a surname ("Will Turner").
AMBIGUOUS_FIRST_NAMES: frozenset[str] = _words(
    """
    Will May Mark Bill Grace Hope Faith Joy June April August Rose Iris Ruby Amber Jade Crystal Dawn Eve Art Thu Jun Mai Matt
    Lance Chad Troy Jasper Levi Shannon Graham Grant Misty Ebony Brandy Harper Quinn Finn Axel Blake Carson
    Chase Chance Frank Guy Jack Pat Rich Sandy Sunny Summer Autumn Winter Daisy Ginger Holly Ivy Lily Violet
    Penny Robin Sky Storm Angel Honey Precious Price Miles Dean Dale Glen Lane Wade Cliff Drew Gene Ray Max Don
    Sue Jordan Austin Dallas Houston Phoenix Savannah Charlotte Madison Sydney Paris Victoria Georgia Virginia
    Carolina Florence Brooklyn Aurora Orlando Denver Cleveland Chelsea Kerry Alexa Siri Cortana Tesla Mercedes
    Harley Lincoln Ford Dell Wells Jackson Israel India Norman Roman Gray Grey Hunter Taylor Parker Carter
    Mason Cooper Tucker Spencer Fisher Reed Rob Nick Norm Cherry Rocky Rusty Luna Nova Stella
    Jan Jesus Christian Regina Sofia Santiago Leo Hugo Kelly Karen Julian Xavier Camila
    Lei Xin Hao Yu Fang Tao Ren Lan Hoa Duc Anh Hung Nam Alba Morgan Cem Ama Yaw Hui
    Lee Jay Earl Sally Pascal Warren Hazel Stanley Ruth Terry Lynn Gail Clyde Vernon Lloyd Frances Jules
    Collins Mercy Jericho Rommel Chebet
    Devon Blessing Praise Destiny Montserrat Angus Iona Trent Beat Ole Ola Mere Ute Mio Bo Yi Chanel
    Ville Gül Derya Sevgi Bence Sander Horst Dirk
    Neema Baraka Amani Zawadi Fajar Putri Budi Joko Avi
    """
)

#: Ambiguous given names that are mostly brands in support text ("my Dell Latitude", "Tesla Model 3", "Ford
#: Focus", "Chase Sapphire", "Mercedes Benz", "Alexa Routines"): a name only after a cue said to or of a person
#: ("Hi Chase,", "this is Alexa Chung", "Regards,\nLincoln"), never from a capitalised word after them alone,
#: whose product line no list keeps up with, nor after a cue said of a company too ("an email from Chase",
#: "call Dell", "contact Tesla"). The price: "Chase Miller called", with no cue, is not found.
BRAND_FIRST_NAMES: frozenset[str] = _words(
    """
    Tesla Dell Ford Chase Mercedes Harley Lincoln Alexa Siri Cortana
    """
)

#: Companies and brands named after a person, written as a person's name is ("I bank with Wells Fargo", "a Ralph
#: Lauren shirt"): not a person unless a strong cue says so ("Dear Calvin Klein", "Regards,\nCalvin Klein").
EPONYM_BRANDS: frozenset[str] = frozenset(
    brand.strip()
    for brand in """
    Wells Fargo|Ralph Lauren|Tim Hortons|Calvin Klein|Tommy Hilfiger|Hugo Boss|Louis Vuitton|Christian Dior|
    Giorgio Armani|Estee Lauder|Estée Lauder|Marc Jacobs|Michael Kors|Vera Wang|Tory Burch|Charles Schwab|
    Morgan Stanley|Goldman Sachs|Charles Tyrwhitt|Marks Spencer|Harley Davidson|Aston Martin|Rolls Royce|
    Enzo Ferrari|Johnson Controls|Johnnie Walker|Sherwin Williams|Marie Claire|Jack Daniel|Billie Jean|Lazy Susan|
    Harry Potter|Marco Polo|Victoria Secret|Ray-Ban Meta|Ray-Ban|Levi Strauss|Earl Grey|Ben Sherman|Fred Perry|Tommy Bahama|Kenneth Cole|
    Steve Madden|Jimmy Choo|Anne Klein|Betty Crocker|Sara Lee|Ann Taylor|Jack Wolfskin|Helly Hansen|Carl Zeiss|Emma Bridgewater|
    Papa John|Jim Beam|Chris Steak|Jose Cuervo|Johnnie Walker Black|Martin Luther King|Uncle Ben
    """.split("|")
)
# Not "Paul Smith", "John Lewis", "Edward Jones", "Ted Baker", "Tom Ford", "Kate Spade": as many customers are
# called that as the brand is mentioned, and a name left in costs more than a brand taken out.

#: Capitalised words before a street suffix that make it a product, not a street ("2 Google Drive folders").
NOT_STREET_NAMES: frozenset[str] = _words(
    """
    Google One Hard Flash Disk Solid State Shared Network External Internal Cloud Test Team Drop Microsoft
    Apple Amazon Dropbox Sky Ice Time Tech Data Backup Storage Memory Cache Thumb Pen Game Home
    """
)

#: Capitalised words that never open a street's name right after its number: interface verbs and units of
#: a step or a count ("Step 2 Select Drive", "2 Hours Drive", "5 Star Plaza", "10 Minutes Walk"). Only as the
#: first word: later in a name they are a street's own ("12 Lone Star Drive", "8 North Star Road"). Not
#: "Mile" ("12 Mile End Road", Michigan's "8 Mile Rd"), "Second" ("12 Second Avenue"), "Times" ("1 Times
#: Square") or "Days" ("14 Days Lane").
NOT_STREET_FIRST_WORDS: frozenset[str] = _words(
    """
    Select Open Tap Click Choose Press Hit Enter Type Step Steps Hour Hours Hrs Minute Minutes Min Mins
    Week Weeks Month Months Year Years Miles Km Star Stars
    """
)

#: Capitalised words that follow name cues but are not names ("Dear Customer", "Regards, The Team"), among
#: them the departments and footers that sign a mail ("Thanks,\nProcurement", "Best,\nLumen Crew", "Thanks,
#: \nSent from my iPhone", "Get Outlook for iOS"), nor a surname after a given name ("Rose Cottage" is a
#: house). None of them a common surname.
NOT_NAMES: frozenset[str] = _words(
    """
    Customer Customers Sir Sirs Madam Madame Team Teams Support Service Services Manager Agent Agents Admin
    Administrator Valued Member Members Colleague Colleagues User Users Client Clients Friend Friends All
    Everyone Everybody Guys Folks Billing Sales Help Helpdesk Desk Care Department Office Staff Account
    Accounts Hiring Recruiter Owner Owners Partner Partners Vendor Sender Recipient Whom Concern Mister
    Product Products Order Orders Ticket Tickets Team's Bank Inc Ltd Llc Corp Corporation Company Co Group
    Street St Avenue Ave Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Place Pl Way Apt Suite Unit Floor
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
    August September October November December Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr Jun Jul Aug Sep
    Sept Oct Nov Dec Today Tomorrow Yesterday Morning Afternoon Evening Night Hi Hello Hey Dear Thanks Thank
    Regards Best Kind Warm Cheers Sincerely Yours Greetings Good Great Please Sorry Yes No Ok Okay Hope
    I The A An And Or But If Of To In On At For With From By About As Is Are Was Were Be Been Am Have Has Had
    Do Does Did Not Can Could Will Would Should May Might Must My Me Mine You Your We Our Us He She Him Her His
    It Its They Them Their This That These Those There Here What Which Who When Where Why How Just So Then
    Also Still Again Now Only Any Some Every Each Another Other New Old First Last Next Very Really Sure
    English French German Spanish Italian American British European International Global National Online
    Internet Email Phone Mobile App Web Website Password Login Account Card Credit Debit Refund Payment
    Invoice Shipping Delivery Package Premium Pro Plus Basic Free Trial Subscription Plan Update Version
    Error Issue Problem Question Request Urgent Important Note Attention Re Fwd Subject Mr Mrs Ms Dr Prof
    Miss Mx Jr Sr II III IV PhD MD
    Pay Prime Store Music Wallet Cloud Mail Maps Watch Books Photos Games Video Studio Office Teams Chrome
    Edge Cash Money Wire Transfer Express Max Mini Air Home Kids Business Enterprise Premier Gold Silver
    Platinum Black Blue Red Green White Beta Alpha Edition Series Sale Period Day Week Month Year Hour
    Cuisine Doktor Professor
    Cottage Cottages Farm Farmhouse Manor Barn Bungalow
    Procurement Finance Accounting Marketing Operations Logistics Legal Compliance Security Purchasing
    Facilities Payroll Engineering Management Administration Reception Dispatch Warehouse Human Resources Dept
    Crew Squad Sent Get Let Lets
    Consultant Consultants Agente Cliente Atendente Medewerker Klant Temsilci Operatore Operatrice Operador
    Operadora Konsultant Konsultantka Ejecutivo Ejecutiva Conseiller Conseillère Asesor Asesora Berater
    Beraterin Mitarbeiter Mitarbeiterin Consulente Especialista Opérateur Opératrice Consultor Consultora
    Kunde Kundin Klient Klientka Müşteri Usuario Usuário Utilisateur Utente Pelanggan Pembeli Penjual
    Network Wifi WiFi Portal Lounge Parking Checkout Room Rooms Hub Centre Center Experience Relations Access
    Portal Dashboard Settings Profile Registration Onboarding
    Tochter Sohn Mutter Vater Bruder Schwester Oma Opa Nachbarin Nachbar Kollegin Kollege Chef Chefin Ehemann Ehefrau
    Hotline Hausverwaltung Verwaltung Kundenservice Kundendienst Firma Abteilung Buchhaltung Ihrer Ihrem Ihren Ihres
    Ügyfélszolgálat Soporte Apoio Kundtjänst Kundeservice Kundenbetreuung Asiakaspalvelu Obsługa Assistenza Supporto
    Atendimento Atención Assistance Tecnico Técnico Technicien Monteur Indirizzo Endereço Direccion Dirección Celular
    Telefone Teléfono Objekt Steuerklasse Workstation Site Intake Authorization Survey Podpora Servicedesk Servicio
    Serviço Klantenservice Destek Ügyfél Asiakas Kund Kunder Zákazník Zákaznice
    Applicant Applicants Patient Patients Nurse Student Students Tenant Tenants Resident Residents Passenger
    Passengers Candidate Candidates Donor Donors Subscriber Subscribers Homeowner Policyholder Learner Learners
    Rentals Rental Traders Trading Motors Realty Properties Lettings Estates Pharmacy Clinic Dental Airways Airlines
    Hotel Hotels Hostel Ops Restaurant Bakery Salon Enterprises Solutions Consulting Insurance Agency Tours Academy
    Institute Foundation Charity Ministry Council Bereich People Mag Dipl Unknown Anonymous Redacted Withheld Pending
    Various Tbd
    """
)


#: Common lower-case English words: after "my name is <given name>" such a word is not a surname
#: ("my name is jane and ...", "... jane here", "... jane from acme").
COMMON_LOWER_WORDS: frozenset[str] = _words(
    """
    the a an and or but if of to in on at for with from by about as into is are was were be been being am
    have has had do does did not no can could will would should may might must i me my mine you your we our
    us he she him her his it its they them their this that these those there here what which who when where
    why how all any some just so than then too very please thanks thank hi hello hey yet still again also
    get got im i'm it's don't can't need want like help calling writing speaking reaching contacting again
    today now tomorrow yesterday sir madam maam team support customer account order ticket number phone email
    nice glad pleased good great ok okay thanks refund login password problem issue question regarding re
    wanted trying looking hoping new old my your our here there too as well again who what
    that's thats that’s what's whats who's whos there's theres here's heres it’s
    """
)


#: Lower-case words that follow a given name in chat and are no surname: verbs in the third person and past,
#: adverbs and the things tickets are about ("sarah wants a refund", "mike router keeps dropping", "ana never
#: called"); a name in lower case takes a surname only if it is none of these nor of COMMON_LOWER_WORDS.
NOT_LOWER_SURNAMES: frozenset[str] = COMMON_LOWER_WORDS | _words(
    """
    wants needs says said keeps kept has had gets got makes made takes took leaves left comes came goes went sends
    sent pays paid buys bought tries tried calls asks told tells thinks knows knew sees saw says set put uses
    never always already often usually again still also just only even really actually maybe probably
    router modem app phone laptop tablet device screen printer camera cam hub plug lock doorbell sensor speaker
    package parcel delivery shipment order account card payment refund invoice bill charge subscription plan
    internet wifi connection update firmware error code login password email address name number issue problem
    thing stuff one here there back down up out over off away home work too
    og och mit min mitt mina mine jeg det er är har ikke inte ve bir bu și nu am au je jsem meu minha não nao já eu
    ele ela com quem que und ich mein meine mon ma mes mio mia
    come posso puedo como cómo comment puis kann wie hoe kan jak czym hur hvordan miten nasıl in con per che
    et y e o ou oder und för att och
    """
)


#: Acronyms common in support tickets: not shouting (quality's tone scorer) and not a surname in capitals
#: after a given name ("Thanks Sarah FYI").
ACRONYMS: frozenset[str] = frozenset(
    "API URL USB PDF CSV FAQ ID SSO VPN DNS SMS MFA OTP ETA UPS DHL USPS FEDEX EU US UK USA IBAN PIN CVV ATM IT "
    "HR CEO CTO VIP SKU RMA PO OK AM PM GMT UTC EST PST CET HTML HTTP HTTPS SSL TLS IP IOS PC TV GPS ASAP FYI "
    "CPU GPU SSD HDD RAM HDMI AWS ISP SLA QR NFC LTE WIFI BTW PLS THX TBD EOD OOO WFH NDA LOL".split()
)


#: Words in capitals that follow a name in a shouted sentence and are not surnames: verb forms and adverbs
#: ("MR. O'BRIEN CALLED", "MS. GARCIA TOLD", "Jean NEVER replied"). Chosen by hand so that none is a
#: common surname ("SAID", "STILL", "HUNG", "LOVE" and "KING" are, so they are not here: a word too many is
#: redacted rather than a surname kept).
NOT_CAPS_SURNAMES: frozenset[str] = frozenset(
    """
    CALLED CALLS ASKED ASKS SAYS TOLD EMAILED EMAILS PHONED TEXTED MESSAGED WROTE WRITES SENT SENDS REPLIED
    REPLIES RESPONDED ANSWERED CONFIRMED CONFIRMS PROMISED CANCELLED CANCELED CANCELS ORDERED ORDERS PAID PAYS
    RECEIVED RETURNED REQUESTED REPORTED MENTIONED EXPLAINED AGREED REFUSED TRIED TRIES LEFT CAME WENT VISITED
    SIGNED APPROVED DENIED REJECTED ACCEPTED COMPLAINED CHECKED FIXED SOLVED RESOLVED UPDATED CHANGED CLOSED
    OPENED BOUGHT PURCHASED SHIPPED DELIVERED MISSED FORGOT NEEDS WANTS NEEDED WANTED STATED NOTED ADDED HELPED
    HELPS ARRIVED CONTACTED INFORMED ADVISED SUGGESTED RECOMMENDED INSISTED CLAIMS CLAIMED DISPUTED FILED
    SUBMITTED UPLOADED LOGGED TRANSFERRED ESCALATED APOLOGIZED APOLOGISED THANKED DROPPED PICKED BROKE LOST
    FOUND GAVE GIVES TOOK TAKES MADE MAKES KNOWS KNEW THINKS THOUGHT HATES LOVES LIKES LIKED HATED SHOUTED
    YELLED GETS GOES DOES HAS HAD IS WAS WILL WONT CANT DIDNT DOESNT ISNT WASNT HASNT
    NEVER ALWAYS REALLY ONLY EVEN EVER ALREADY DEFINITELY ABSOLUTELY TOTALLY COMPLETELY ACTUALLY
    LITERALLY SERIOUSLY HONESTLY PERSONALLY IMMEDIATELY URGENTLY AGAIN TWICE ONCE BOTH ALONE ALSO HERE THERE
    NOW TODAY YESTERDAY TOMORROW PLEASE THANKS ASAP
    """.split()
)
